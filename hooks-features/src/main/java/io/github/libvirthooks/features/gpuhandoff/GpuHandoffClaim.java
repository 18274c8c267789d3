package io.github.libvirthooks.features.gpuhandoff;

import io.github.libvirthooks.sysfs.console.PlatformFramebuffer;
import io.github.libvirthooks.sysfs.pci.PciAddress;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What one step of the hand-off took from the host, recorded before the step and given back at
 * release in reverse order. Every value is checked again when read back: a planted journal must
 * not turn the undo into "start any unit" or "bind anything".
 */
sealed interface GpuHandoffClaim {
    Pattern UNIT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9@._:\\\\-]{0,250}\\.(service|scope)");
    Pattern DRIVER = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}");

    /** The journal key: one claim per step kind (and device). */
    String resource();

    static boolean isUnit(String unit) {
        return unit != null && UNIT.matcher(unit).matches();
    }

    /** The display manager was active and is stopped: started again at release. */
    record DisplayManagerStopped(String unit, Duration timeout) implements GpuHandoffClaim {
        public DisplayManagerStopped {
            require(isUnit(unit), "unit '" + unit + "'");
        }

        @Override
        public String resource() {
            return "display-manager";
        }
    }

    /** User units that held the GPU, stopped: nothing to start again, the user logs in anew through the display manager. */
    record SessionsStopped(List<String> units, Duration timeout) implements GpuHandoffClaim {
        public SessionsStopped {
            units = List.copyOf(units);
            units.forEach(u -> require(isUnit(u), "unit '" + u + "'"));
        }

        @Override
        public String resource() {
            return "sessions";
        }
    }

    /** Framebuffer consoles that were bound: bound again at release. */
    record ConsolesUnbound(List<String> consoles) implements GpuHandoffClaim {
        public ConsolesUnbound {
            consoles = List.copyOf(consoles);
            consoles.forEach(c -> require(io.github.libvirthooks.sysfs.console.VtConsoles.isId(c), "console '" + c + "'"));
        }

        @Override
        public String resource() {
            return "vtconsoles";
        }
    }

    /** Firmware framebuffers that were bound: bound again at release. */
    record FramebuffersUnbound(List<PlatformFramebuffer> framebuffers) implements GpuHandoffClaim {
        public FramebuffersUnbound {
            framebuffers = List.copyOf(framebuffers);
        }

        @Override
        public String resource() {
            return "framebuffers";
        }
    }

    /**
     * A function unbound from its host driver: bound to it again at release.
     *
     * @param done false until the unbind returned: a run that stopped at a hung unbind leaves it false
     */
    record DriverUnbound(PciAddress device, String driver, Duration timeout, boolean done) implements GpuHandoffClaim {
        public DriverUnbound {
            require(DRIVER.matcher(driver).matches(), "driver '" + driver + "'");
        }

        @Override
        public String resource() {
            return "driver " + device;
        }
    }

    /** A {@code managed='no'} function bound to vfio-pci through {@code driver_override}: unbound and cleared at release. */
    record VfioBound(PciAddress device, Duration timeout) implements GpuHandoffClaim {
        @Override
        public String resource() {
            return "vfio-pci " + device;
        }
    }

    /**
     * Modules unloaded, in unload order: loaded again, in reverse, at release.
     *
     * @param unloaded how many of them {@code modprobe -r} has taken so far
     */
    record ModulesUnloaded(List<String> modules, int unloaded, Duration timeout) implements GpuHandoffClaim {
        public ModulesUnloaded {
            modules = List.copyOf(modules);
            modules.forEach(m -> require(m.matches("[a-z0-9_]{1,56}")
                    && !io.github.libvirthooks.sysfs.module.KernelModules.NEVER_UNLOADED.contains(m), "module '" + m + "'"));
            require(unloaded >= 0 && unloaded <= modules.size(), "count " + unloaded);
        }

        @Override
        public String resource() {
            return "modules";
        }
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("invalid " + what);
        }
    }
}
