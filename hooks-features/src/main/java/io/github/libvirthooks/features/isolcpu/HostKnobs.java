package io.github.libvirthooks.features.isolcpu;

import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cgroup.CpusetPartitionState;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.sysfs.irq.AffinityResult;
import io.github.libvirthooks.sysfs.irq.IrqAffinity;
import java.util.Arrays;
import java.util.Objects;

/**
 * Reads and writes {@link Knob}s on one host: files through a {@link HostRoot}, systemd
 * properties through {@code systemctl}. A write is skipped when the knob already holds the
 * value, so that release after a crash, or twice, writes nothing needless.
 */
final class HostKnobs {
    static final String SUBTREE_ENABLE = "+cpuset";
    static final String SUBTREE_DISABLE = "-cpuset";

    /** What became of one write. */
    enum Outcome {
        /** The new value was written. */
        CHANGED,
        /** The knob already held the value. */
        UNCHANGED,
        /** The kernel refused to move the interrupt (managed or per-CPU): nothing changed. */
        NOT_MOVABLE,
        /** The file is gone (the cgroup was removed, the kernel lacks the setting). */
        MISSING
    }

    private final HostRoot host;
    private final SystemdAllowedCpus systemd;
    private final int nrCpuIds;

    /**
     * @param nrCpuIds how many bits the kernel prints in a CPU mask ({@code nr_cpu_ids})
     */
    HostKnobs(HostRoot host, CommandRunner commands, int nrCpuIds) {
        this.host = Objects.requireNonNull(host, "host");
        this.systemd = new SystemdAllowedCpus(commands);
        this.nrCpuIds = nrCpuIds;
    }

    /** The knob's value now, in the form {@link #write} takes back. */
    String read(Knob knob) {
        String target = knob.target();
        return switch (knob.kind()) {
            case SUBTREE_CONTROL -> Arrays.asList(host.read(target).strip().split("\\s+")).contains("cpuset")
                    ? SUBTREE_ENABLE : SUBTREE_DISABLE;
            case HOST_UNIT, VMS_UNIT -> systemd.read(target);
            // A cgroup's cpuset.cpus appears only once the controller is enabled, and then reads empty.
            case HOST_CPUSET, VMS_CPUSET -> host.exists(target) ? host.read(target).strip() : "";
            case PARTITION -> host.exists(target) ? partitionType(host.read(target)) : "member";
            case WORKQUEUE, IRQ_DEFAULT, IRQ, TIMER_MIGRATION -> host.read(target).strip();
        };
    }

    /**
     * The value a knob takes while CPUs are isolated.
     *
     * @param hostCpus  online CPUs minus every isolating VM's
     * @param vmCpus    the union of every isolating VM's CPUs
     * @param partition the partition type asked for
     * @param original  the knob's original value: an interrupt keeps the host CPUs it already had
     */
    String isolated(Knob knob, CpuSet hostCpus, CpuSet vmCpus, String partition, String original) {
        return switch (knob.kind()) {
            case SUBTREE_CONTROL -> SUBTREE_ENABLE;
            case HOST_CPUSET, HOST_UNIT -> hostCpus.toList();
            case IRQ -> {
                CpuSet kept = parseOrEmpty(original).intersection(hostCpus);
                yield (kept.isEmpty() ? hostCpus : kept).toList();
            }
            case VMS_CPUSET, VMS_UNIT -> vmCpus.toList();
            case PARTITION -> partition;
            case WORKQUEUE, IRQ_DEFAULT -> hostCpus.toMask(nrCpuIds);
            case TIMER_MIGRATION -> "0";
        };
    }

    /** Writes {@code value} unless the knob holds it already. */
    Outcome write(Knob knob, String value) {
        String target = knob.target();
        switch (knob.kind()) {
            case SUBTREE_CONTROL -> {
                // Enabling an enabled controller or disabling a disabled one is a no-op in the kernel.
                host.write(target, value);
                return Outcome.CHANGED;
            }
            case HOST_UNIT, VMS_UNIT -> {
                if (sameList(systemd.read(target), value)) {
                    return Outcome.UNCHANGED;
                }
                systemd.set(target, value);
                return Outcome.CHANGED;
            }
            default -> {
                // handled below
            }
        }
        if (!host.exists(target)) {
            return Outcome.MISSING;
        }
        String current = host.read(target).strip();
        switch (knob.kind()) {
            case HOST_CPUSET, VMS_CPUSET -> {
                if (sameList(current, value)) {
                    return Outcome.UNCHANGED;
                }
                // An empty write may never reach the kernel; a lone newline is the empty list it parses.
                host.write(target, value.isEmpty() ? "\n" : value);
            }
            case PARTITION -> {
                if (partitionType(current).equals(value) && !current.contains("invalid")) {
                    return Outcome.UNCHANGED;
                }
                host.write(target, value, HostKnobs::partitionType);
            }
            case WORKQUEUE, IRQ_DEFAULT -> {
                if (sameMask(current, value)) {
                    return Outcome.UNCHANGED;
                }
                host.write(target, value);
            }
            case IRQ -> {
                if (sameList(current, value)) {
                    return Outcome.UNCHANGED;
                }
                AffinityResult result = new IrqAffinity(host).setAffinity(irqNumber(target), CpuSet.parseList(value));
                if (result instanceof AffinityResult.NotMovable) {
                    return Outcome.NOT_MOVABLE;
                }
            }
            case TIMER_MIGRATION -> {
                if (current.equals(value)) {
                    return Outcome.UNCHANGED;
                }
                host.write(target, value);
            }
            default -> throw new IllegalStateException("unhandled knob " + knob);
        }
        return Outcome.CHANGED;
    }

    /** The partition state as the kernel prints it ({@code root invalid (reason)}), for the report. */
    CpusetPartitionState partitionState(Knob knob) {
        return CpusetPartitionState.parse(host.read(knob.target()));
    }

    static int irqNumber(String smpAffinityListPath) {
        String[] parts = smpAffinityListPath.split("/");
        // /proc/irq/N/smp_affinity_list
        if (parts.length != 5 || !parts[3].matches("[0-9]{1,7}")) {
            throw new IllegalArgumentException("'" + smpAffinityListPath + "' is not /proc/irq/N/smp_affinity_list");
        }
        return Integer.parseInt(parts[3]);
    }

    private static String partitionType(String text) {
        try {
            return CpusetPartitionState.parse(text).partition().kernelName();
        } catch (IllegalArgumentException e) {
            return text.strip();
        }
    }

    private static CpuSet parseOrEmpty(String list) {
        try {
            return CpuSet.parseList(list);
        } catch (IllegalArgumentException e) {
            return CpuSet.empty();
        }
    }

    private static boolean sameList(String a, String b) {
        try {
            return CpuSet.parseList(a).equals(CpuSet.parseList(b));
        } catch (IllegalArgumentException e) {
            return a.strip().equals(b.strip());
        }
    }

    private static boolean sameMask(String a, String b) {
        try {
            return CpuSet.parseMask(a).equals(CpuSet.parseMask(b));
        } catch (IllegalArgumentException e) {
            return a.strip().equals(b.strip());
        }
    }
}
