package io.github.libvirthooks.features.gpuhandoff;

import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.engine.ClaimingFeature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.FeatureSpec;
import io.github.libvirthooks.features.engine.SpecifiedFeature;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.gpuhandoff.GpuHandoffClaim.ConsolesUnbound;
import io.github.libvirthooks.features.gpuhandoff.GpuHandoffClaim.DisplayManagerStopped;
import io.github.libvirthooks.features.gpuhandoff.GpuHandoffClaim.DriverUnbound;
import io.github.libvirthooks.features.gpuhandoff.GpuHandoffClaim.FramebuffersUnbound;
import io.github.libvirthooks.features.gpuhandoff.GpuHandoffClaim.ModulesUnloaded;
import io.github.libvirthooks.features.gpuhandoff.GpuHandoffClaim.SessionsStopped;
import io.github.libvirthooks.features.gpuhandoff.GpuHandoffClaim.VfioBound;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.console.PlatformFramebuffer;
import io.github.libvirthooks.sysfs.console.PlatformFramebuffers;
import io.github.libvirthooks.sysfs.console.VtConsole;
import io.github.libvirthooks.sysfs.console.VtConsoles;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.module.KernelModules;
import io.github.libvirthooks.sysfs.pci.KernelWriteTimeoutException;
import io.github.libvirthooks.sysfs.pci.PciDevice;
import io.github.libvirthooks.sysfs.proc.Holder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code gpu-handoff}: gives the VM a GPU the host is using and gives it back. At
 * {@code prepare} it reads the host ({@link Handoff#survey}), refuses what cannot be done
 * safely, then takes the steps one claim each, every claim recorded before its step: stop the
 * display manager (and, if asked, the user units holding the GPU), unbind the framebuffer
 * consoles and the firmware framebuffer, unbind each function from its host driver with a time
 * limit, optionally unload the driver's modules, and bind {@code managed='no'} functions to
 * vfio-pci. Binding {@code managed='yes'} functions stays with libvirt; the hook never calls
 * virsh. A failed start rolls back and release gives back the claims, in reverse.
 */
public final class GpuHandoffFeature implements ClaimingFeature<GpuHandoffClaim>, SpecifiedFeature {
    public static final String NAME = "gpu-handoff";
    /** What this feature is: its events and options (the README's table is checked against it). */
    public static final FeatureSpec SPEC = FeatureSpec.named(NAME, "hand the host's GPU to the VM and give it back")
            .at(HookOperation.PREPARE)
            .option("devices", "the VM's `<hostdev type='pci'>`")
            .option("display-manager", "`display-manager.service`")
            .option("stop-user-sessions", "`false`")
            .option("unload-modules", "`false`")
            .option("timeout", "`10s`")
            .build();

    /**
     * Set when an unbind did not return: the kernel may still finish it at any time, so this run
     * touches nothing more, not even to roll back; the claims stay for {@code restore}.
     */
    private Optional<String> stoppedAt = Optional.empty();

    @Override
    public FeatureSpec spec() {
        return SPEC;
    }

    @Override
    public ClaimCodec<GpuHandoffClaim> claimCodec() {
        return GpuHandoffClaimCodec.INSTANCE;
    }

    @Override
    public void apply(FeatureContext context) {
        GpuHandoffOptions options = GpuHandoffOptions.parse(context.options());
        HostRoot host = context.claimedHost();
        Handoff handoff = Handoff.survey(host, context.domain(), options, context.commands(), context::effect);
        context.effect("steps", handoff.steps());
        Duration limit = options.timeout();
        boolean stoppedSomething = false;
        boolean performed = true;
        if (handoff.displayManager().isPresent()) {
            String unit = handoff.displayManager().get();
            claim(context, new DisplayManagerStopped(unit, limit));
            performed = context.commands().run(List.of("systemctl", "stop", unit), limit).orThrow().performed();
            context.report().accept("change gpu-handoff: stopped " + unit);
            stoppedSomething = true;
        }
        if (!handoff.sessionUnits().isEmpty()) {
            claim(context, new SessionsStopped(handoff.sessionUnits(), limit));
            List<String> argv = new ArrayList<>(List.of("systemctl", "stop"));
            argv.addAll(handoff.sessionUnits());
            performed &= context.commands().run(argv, limit).orThrow().performed();
            stoppedSomething = true;
        }
        // What survives the display manager (a Wayland session kept by logind) would block the unbind in the kernel.
        if (stoppedSomething && performed) {
            List<Holder> left = Handoff.holders(host, handoff.functions());
            if (!left.isEmpty()) {
                throw new FeatureException("gpu-handoff: after stopping the display manager " + Handoff.held(left)
                        + "; log that session out, or set stop-user-sessions='true' to stop it too");
            }
        }
        if (!handoff.consoles().isEmpty()) {
            claim(context, new ConsolesUnbound(handoff.consoles()));
            VtConsoles consoles = new VtConsoles(host);
            handoff.consoles().forEach(consoles::unbind);
        }
        if (!handoff.framebuffers().isEmpty()) {
            claim(context, new FramebuffersUnbound(handoff.framebuffers()));
            PlatformFramebuffers fbs = new PlatformFramebuffers(host);
            handoff.framebuffers().forEach(fbs::unbind);
        }
        for (Handoff.Function f : handoff.functions()) {
            if (!f.needsUnbind()) {
                continue;
            }
            DriverUnbound claim = new DriverUnbound(f.address(), f.driver().get(), limit, false);
            claim(context, claim);
            try {
                new PciDevice(host, f.address()).unbind(claim.driver(), limit);
            } catch (KernelWriteTimeoutException e) {
                stoppedAt = Optional.of(f.address() + " from " + claim.driver());
                throw new FeatureException("gpu-handoff: the unbind of " + f.address() + " from " + claim.driver() + " did not return"
                        + " within " + io.github.libvirthooks.features.config.Durations.format(limit)
                        + " (a process still holds the GPU); stopped here and touched nothing more; once it returns (or after a"
                        + " reboot) run 'libvirt-hooks restore'", e);
            }
            context.updateClaim(claimCodec(), new DriverUnbound(f.address(), claim.driver(), limit, true));
            context.report().accept("change gpu-handoff: unbound " + f.address() + " from " + claim.driver());
        }
        if (!handoff.modules().isEmpty()) {
            claim(context, new ModulesUnloaded(handoff.modules(), 0, limit));
            KernelModules modules = new KernelModules(host);
            for (int i = 0; i < handoff.modules().size(); i++) {
                modules.unload(context.commands(), handoff.modules().get(i), limit);
                context.updateClaim(claimCodec(), new ModulesUnloaded(handoff.modules(), i + 1, limit));
            }
        }
        for (Handoff.Function f : handoff.functions()) {
            if (!f.needsVfio()) {
                continue;
            }
            claim(context, new VfioBound(f.address(), limit));
            PciDevice device = new PciDevice(host, f.address());
            device.setDriverOverride(Handoff.VFIO_PCI);
            device.probe(limit);
            context.report().accept("change gpu-handoff: bound " + f.address() + " to vfio-pci (driver_override)");
        }
    }

    private void claim(FeatureContext context, GpuHandoffClaim claim) {
        context.claim(claimCodec(), claim);
    }

    /**
     * fbcon leaves when the last framebuffer goes (the GPU's driver unbound) and registers anew
     * when the driver binds again, bound, under the lowest free number: {@code vtcon2} may come
     * back as {@code vtcon0}. So a console unbound at prepare is found again by being a
     * framebuffer console, under its old number or a new one.
     */
    private static void bindConsolesAgain(FeatureContext context, List<String> unbound) {
        VtConsoles consoles = new VtConsoles(context.host());
        List<String> missing = new ArrayList<>();
        List<String> bound = new ArrayList<>();
        for (String id : unbound) {
            Optional<VtConsole> now = consoles.find(id);
            if (now.isPresent() && now.get().isFramebuffer()) {
                if (!now.get().bound()) {
                    consoles.bind(id);
                }
                bound.add(id);
            } else {
                missing.add(id);
            }
        }
        if (!missing.isEmpty()) {
            List<String> renumbered = new ArrayList<>();
            for (VtConsole other : consoles.all()) {
                if (other.isFramebuffer() && !unbound.contains(other.id())) {
                    if (!other.bound()) {
                        consoles.bind(other.id());
                    }
                    renumbered.add(other.id());
                }
            }
            if (renumbered.isEmpty()) {
                context.report().accept("warn   gpu-handoff: the framebuffer console " + String.join(", ", missing) + " did not come"
                        + " back after the GPU's driver bound again; 'echo 1 > /sys/class/vtconsole/vtconN/bind' gives the"
                        + " terminals back once a framebuffer console is listed there");
                return;
            }
            context.report().accept("undo   gpu-handoff: the framebuffer console " + String.join(", ", missing)
                    + " came back as " + String.join(", ", renumbered) + ", bound");
        }
        if (!bound.isEmpty()) {
            context.report().accept("undo   gpu-handoff: consoles " + String.join(", ", bound) + " bound again");
        }
    }

    @Override
    public void undo(GpuHandoffClaim claim, FeatureContext context) {
        if (stoppedAt.isPresent()) {
            throw new FeatureException("left as it is: the unbind of " + stoppedAt.get() + " did not return; once it has (or after"
                    + " a reboot) run 'libvirt-hooks restore'");
        }
        HostRoot host = context.host();
        if (claim instanceof DisplayManagerStopped c) {
            startAgain(context, c.unit(), c.timeout());
        } else if (claim instanceof SessionsStopped c) {
            context.report().accept("info   gpu-handoff: the user units " + String.join(", ", c.units())
                    + " were stopped for the VM; log in again");
        } else if (claim instanceof ConsolesUnbound c) {
            bindConsolesAgain(context, c.consoles());
        } else if (claim instanceof FramebuffersUnbound c) {
            PlatformFramebuffers fbs = new PlatformFramebuffers(host);
            for (PlatformFramebuffer fb : c.framebuffers()) {
                if (!fbs.isBound(fb)) {
                    fbs.bind(fb);
                }
            }
            context.report().accept("undo   gpu-handoff: framebuffers bound again");
        } else if (claim instanceof DriverUnbound c) {
            rebind(context, c);
        } else if (claim instanceof ModulesUnloaded c) {
            KernelModules modules = new KernelModules(host);
            List<String> reversed = new ArrayList<>(c.modules());
            java.util.Collections.reverse(reversed);
            for (String m : reversed) {
                if (!modules.isLoaded(m)) {
                    try {
                        modules.load(context.commands(), m, c.timeout());
                    } catch (RuntimeException e) {
                        throw new FeatureException("cannot load " + m + " again (" + e.getMessage() + "); run: modprobe " + m, e);
                    }
                }
            }
        } else if (claim instanceof VfioBound c) {
            PciDevice device = new PciDevice(host, c.device());
            if (device.driver().map(Handoff.VFIO_PCI::equals).orElse(false)) {
                device.unbind(Handoff.VFIO_PCI, c.timeout());
            }
            if (device.driverOverride().isPresent()) {
                device.clearDriverOverride();
            }
        }
    }

    private static void startAgain(FeatureContext context, String unit, Duration limit) {
        if (!context.host().exists(Handoff.SYSTEMD_RUNTIME)) {
            context.report().accept("undo   gpu-handoff: systemd is not running, " + unit + " is gone with it");
            return;
        }
        try {
            CommandResult r = context.commands().run(List.of("systemctl", "start", unit), limit);
            r.orThrow();
        } catch (RuntimeException e) {
            throw new FeatureException("cannot start " + unit + " again (" + e.getMessage() + "); run: systemctl start " + unit, e);
        }
        context.report().accept("undo   gpu-handoff: started " + unit + " again");
    }

    /** Back to the host driver, whatever happened meanwhile: libvirt may have given it back already at stop. */
    private static void rebind(FeatureContext context, DriverUnbound c) {
        PciDevice device = new PciDevice(context.host(), c.device());
        if (!device.exists()) {
            context.report().accept("warn   gpu-handoff: " + c.device() + " is gone from the host; nothing to bind");
            return;
        }
        Optional<String> now = device.driver();
        if (now.map(c.driver()::equals).orElse(false)) {
            return;
        }
        String command = "echo " + c.device() + " > " + PciDevice.DRIVERS + "/" + c.driver() + "/bind";
        try {
            if (now.map(Handoff.VFIO_PCI::equals).orElse(false)) {
                device.unbind(Handoff.VFIO_PCI, c.timeout());
            } else if (now.isPresent()) {
                context.report().accept("warn   gpu-handoff: " + c.device() + " is bound to " + now.get() + " now, not "
                        + c.driver() + "; left as it is");
                return;
            }
            if (PciDevice.driverLoaded(context.host(), c.driver())) {
                device.bind(c.driver(), c.timeout());
            } else {
                device.probe(c.timeout());
            }
        } catch (RuntimeException e) {
            throw new FeatureException("cannot bind " + c.device() + " to " + c.driver() + " again (" + e.getMessage() + "); run: "
                    + command, e);
        }
        context.report().accept("undo   gpu-handoff: " + c.device() + " bound to " + c.driver() + " again");
    }
}
