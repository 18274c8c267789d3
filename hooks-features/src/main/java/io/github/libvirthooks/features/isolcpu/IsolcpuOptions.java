package io.github.libvirthooks.features.isolcpu;

import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The options of {@code isolcpu}, checked before anything changes.
 *
 * @param cpus           the VM's CPUs when given explicitly ({@code cpus="2-7"}), else taken from the pins
 * @param backend        how the host's work is confined
 * @param partition      {@code isolated} or {@code root} to make the VMs' cgroup a cpuset partition; empty for none
 * @param workqueue      also confine unbound and writeback workqueues to the host CPUs
 * @param irq            also move movable interrupts to the host CPUs
 * @param timerMigration false to turn timer migration off; empty or true leaves it alone
 * @param include        threads besides the vCPUs whose pinned CPUs are the VM's too: {@code emulator}, {@code iothreads}
 */
record IsolcpuOptions(Optional<CpuSet> cpus, Backend backend, Optional<String> partition, boolean workqueue, boolean irq,
        Optional<Boolean> timerMigration, Set<String> include) {

    static final Set<String> NAMES = IsolcpuFeature.SPEC.optionNames();
    /** {@code include} words. */
    static final String EMULATOR = "emulator";
    static final String IOTHREADS = "iothreads";

    IsolcpuOptions {
        include = Set.copyOf(include);
    }

    /** How host work is kept off the VMs' CPUs. */
    enum Backend {
        /** systemd when it runs as PID 1 and manages a pure cgroup v2 host, else cgroup. */
        AUTO,
        /** {@code systemctl set-property --runtime <unit> AllowedCPUs=...} on the host's units. */
        SYSTEMD,
        /** Direct writes of the CPUs of the top-level cgroups but the VMs'. */
        CGROUP;

        String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Parses and checks the options, naming the bad key, its value and what is allowed. */
    static IsolcpuOptions parse(Map<String, String> options) {
        List<String> unknown = new ArrayList<>(options.keySet());
        unknown.removeAll(NAMES);
        if (!unknown.isEmpty()) {
            throw new FeatureException("unknown option '" + unknown.get(0)
                    + "'; isolcpu takes: cpus, backend, partition, workqueue, irq, timer-migration, include");
        }
        Optional<CpuSet> cpus = Optional.empty();
        if (options.containsKey("cpus")) {
            try {
                cpus = Optional.of(CpuSet.parseList(options.get("cpus")));
            } catch (IllegalArgumentException e) {
                throw new FeatureException("invalid cpus '" + options.get("cpus") + "': " + e.getMessage()
                        + "; use a CPU list such as 2-7 or 2-7,10-15");
            }
            if (cpus.get().isEmpty()) {
                throw new FeatureException("cpus is empty; give the VM's CPUs (for example cpus=\"2-7\") or leave it out to use the pins");
            }
        }
        Backend backend = switch (options.getOrDefault("backend", "auto")) {
            case "auto" -> Backend.AUTO;
            case "systemd" -> Backend.SYSTEMD;
            case "cgroup" -> Backend.CGROUP;
            default -> throw new FeatureException("invalid backend '" + options.get("backend") + "': use auto, systemd or cgroup");
        };
        Optional<String> partition = switch (options.getOrDefault("partition", "off")) {
            case "off" -> Optional.empty();
            case "isolated" -> Optional.of("isolated");
            case "root" -> Optional.of("root");
            default -> throw new FeatureException("invalid partition '" + options.get("partition")
                    + "': use isolated, root or off");
        };
        boolean workqueue = bool(options, "workqueue").orElse(false);
        boolean irq = bool(options, "irq").orElse(false);
        Optional<Boolean> timerMigration = bool(options, "timer-migration");
        Set<String> include = new java.util.TreeSet<>();
        String includeText = options.getOrDefault("include", "").strip();
        if (!includeText.isEmpty()) {
            for (String word : includeText.split(",", -1)) {
                String w = word.strip();
                if (!w.equals(EMULATOR) && !w.equals(IOTHREADS)) {
                    throw new FeatureException("invalid include '" + includeText + "': use emulator, iothreads or emulator,iothreads"
                            + " (the CPUs of <emulatorpin> and <iothreadpin> become the VM's too)");
                }
                include.add(w);
            }
        }
        return new IsolcpuOptions(cpus, backend, partition, workqueue, irq, timerMigration, include);
    }

    /** The groups of knobs these options ask for; the host's slices always. */
    Set<Knob.Group> groups() {
        Set<Knob.Group> groups = EnumSet.of(Knob.Group.SLICES);
        partition.ifPresent(p -> groups.add(Knob.Group.PARTITION));
        if (workqueue) {
            groups.add(Knob.Group.WORKQUEUE);
        }
        if (irq) {
            groups.add(Knob.Group.IRQ);
        }
        if (timerMigration.isPresent() && !timerMigration.get()) {
            groups.add(Knob.Group.TIMER_MIGRATION);
        }
        return groups;
    }

    private static Optional<Boolean> bool(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null) {
            return Optional.empty();
        }
        return switch (value) {
            case "true" -> Optional.of(true);
            case "false" -> Optional.of(false);
            default -> throw new FeatureException("invalid " + name + " '" + value + "': use true or false");
        };
    }
}
