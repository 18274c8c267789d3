package io.github.libvirthooks.features.isolcpu;

import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cgroup.Cgroup;
import io.github.libvirthooks.sysfs.cgroup.Cpuset;
import io.github.libvirthooks.sysfs.cgroup.CpusetPartition;
import io.github.libvirthooks.sysfs.cgroup.CpusetPartitionState;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.sysfs.irq.AffinityResult;
import io.github.libvirthooks.sysfs.irq.IrqAffinity;
import io.github.libvirthooks.sysfs.kernel.KernelSysctl;
import io.github.libvirthooks.sysfs.kernel.Workqueue;
import io.github.libvirthooks.sysfs.systemd.AllowedCpus;
import java.util.Objects;

/**
 * Reads and writes {@link Knob}s on one host, each through the hooks-sysfs class named after
 * its file ({@link Cgroup}, {@link Cpuset}, {@link Workqueue}, {@link IrqAffinity},
 * {@link KernelSysctl}, {@link AllowedCpus}). Values travel as the claim keeps them: CPU lists,
 * hex masks, partition types, {@code +cpuset}/{@code -cpuset}, {@code 0}/{@code 1}. A write is
 * skipped when the knob already holds the value, so that converging twice, or release after a
 * crash, writes nothing needless.
 */
final class KnobFiles {
    static final String SUBTREE_ENABLE = "+cpuset";
    static final String SUBTREE_DISABLE = "-cpuset";
    private static final String CPUSET = "cpuset";

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
    private final AllowedCpus systemd;
    private final int nrCpuIds;

    /**
     * @param nrCpuIds how many bits the kernel prints in a CPU mask ({@code nr_cpu_ids}), for the masks read
     */
    KnobFiles(HostRoot host, CommandRunner commands, int nrCpuIds) {
        this.host = Objects.requireNonNull(host, "host");
        this.systemd = new AllowedCpus(commands);
        this.nrCpuIds = nrCpuIds;
    }

    /** The knob's value now, in the form {@link #write} takes back. */
    String read(Knob knob) {
        String target = knob.target();
        return switch (knob.kind()) {
            case SUBTREE_CONTROL -> root(knob).subtreeControl().contains(CPUSET) ? SUBTREE_ENABLE : SUBTREE_DISABLE;
            case HOST_UNIT, VMS_UNIT -> systemd.read(target).toList();
            case HOST_CPUSET, VMS_CPUSET -> cpuset(knob).cpusOrParents().toList();
            case PARTITION -> {
                Cpuset cpuset = cpuset(knob);
                yield cpuset.offersPartition() ? cpuset.partition().partition().kernelName() : CpusetPartition.MEMBER.kernelName();
            }
            case WORKQUEUE -> workqueueMask(knob).toMask(nrCpuIds);
            case IRQ_DEFAULT -> new IrqAffinity(host).defaultAffinity().toMask(nrCpuIds);
            case IRQ -> new IrqAffinity(host).affinity(irq(knob)).toList();
            case TIMER_MIGRATION -> new KernelSysctl(host).timerMigration() ? "1" : "0";
        };
    }

    /** Writes {@code value} unless the knob holds it already. */
    Outcome write(Knob knob, String value) {
        checkValue(knob, value);
        switch (knob.kind()) {
            // Written each time: a repeated command is a no-op in the kernel, and the file reads back as a list, not a command.
            case SUBTREE_CONTROL -> root(knob).switchController(CPUSET, value.equals(SUBTREE_ENABLE));
            case HOST_UNIT, VMS_UNIT -> {
                CpuSet cpus = CpuSet.parseList(value);
                if (systemd.read(knob.target()).equals(cpus)) {
                    return Outcome.UNCHANGED;
                }
                systemd.set(knob.target(), cpus);
            }
            case HOST_CPUSET, VMS_CPUSET -> {
                Cpuset cpuset = cpuset(knob);
                if (!cpuset.isEnabled()) {
                    return Outcome.MISSING;
                }
                CpuSet cpus = CpuSet.parseList(value);
                if (cpuset.cpus().equals(cpus)) {
                    return Outcome.UNCHANGED;
                }
                cpuset.setCpus(cpus);
            }
            case PARTITION -> {
                Cpuset cpuset = cpuset(knob);
                if (!cpuset.offersPartition()) {
                    return Outcome.MISSING;
                }
                CpusetPartition partition = CpusetPartition.fromKernelName(value).orElseThrow();
                CpusetPartitionState now = cpuset.partition();
                if (now.partition() == partition && now.valid()) {
                    return Outcome.UNCHANGED;
                }
                cpuset.setPartition(partition);
            }
            case WORKQUEUE -> {
                Workqueue workqueues = new Workqueue(host);
                boolean unbound = knob.target().equals(Workqueue.UNBOUND_CPUMASK);
                String name = unbound ? "" : Workqueue.nameOfCpumask(knob.target()).orElseThrow();
                if (unbound ? !workqueues.offersUnboundCpumask() : !workqueues.exposes(name)) {
                    return Outcome.MISSING;
                }
                CpuSet cpus = CpuSet.parseMask(value);
                if (workqueueMask(knob).equals(cpus)) {
                    return Outcome.UNCHANGED;
                }
                if (unbound) {
                    workqueues.setUnboundCpumask(cpus);
                } else {
                    workqueues.setCpumask(name, cpus);
                }
            }
            case IRQ_DEFAULT -> {
                IrqAffinity irqs = new IrqAffinity(host);
                if (!irqs.offersDefaultAffinity()) {
                    return Outcome.MISSING;
                }
                CpuSet cpus = CpuSet.parseMask(value);
                if (irqs.defaultAffinity().equals(cpus)) {
                    return Outcome.UNCHANGED;
                }
                irqs.setDefaultAffinity(cpus);
            }
            case IRQ -> {
                IrqAffinity irqs = new IrqAffinity(host);
                int irq = irq(knob);
                if (!irqs.hasAffinity(irq)) {
                    return Outcome.MISSING;
                }
                CpuSet cpus = CpuSet.parseList(value);
                if (irqs.affinity(irq).equals(cpus)) {
                    return Outcome.UNCHANGED;
                }
                if (irqs.setAffinity(irq, cpus) instanceof AffinityResult.NotMovable) {
                    return Outcome.NOT_MOVABLE;
                }
            }
            case TIMER_MIGRATION -> {
                KernelSysctl sysctl = new KernelSysctl(host);
                if (!sysctl.offersTimerMigration()) {
                    return Outcome.MISSING;
                }
                boolean enabled = value.equals("1");
                if (sysctl.timerMigration() == enabled) {
                    return Outcome.UNCHANGED;
                }
                sysctl.setTimerMigration(enabled);
            }
        }
        return Outcome.CHANGED;
    }

    /** The partition state as the kernel reports it ({@code root invalid (reason)}), for the report. */
    CpusetPartitionState partitionState(Knob knob) {
        return cpuset(knob).partition();
    }

    /**
     * {@code value} if it is one a knob of this kind takes, for the codec and before each write.
     *
     * @throws IllegalArgumentException naming what the kind takes
     */
    static String checkValue(Knob knob, String value) {
        boolean ok = switch (knob.kind()) {
            case SUBTREE_CONTROL -> value.equals(SUBTREE_ENABLE) || value.equals(SUBTREE_DISABLE);
            case HOST_UNIT, VMS_UNIT, HOST_CPUSET, VMS_CPUSET, IRQ -> parses(() -> CpuSet.parseList(value));
            case PARTITION -> CpusetPartition.fromKernelName(value).isPresent();
            case WORKQUEUE, IRQ_DEFAULT -> parses(() -> CpuSet.parseMask(value));
            case TIMER_MIGRATION -> value.equals("0") || value.equals("1");
        };
        if (!ok) {
            throw new IllegalArgumentException("'" + value + "' is not a value of " + knob.describe());
        }
        return value;
    }

    private static boolean parses(Runnable parse) {
        try {
            parse.run();
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private CpuSet workqueueMask(Knob knob) {
        Workqueue workqueues = new Workqueue(host);
        return knob.target().equals(Workqueue.UNBOUND_CPUMASK) ? workqueues.unboundCpumask()
                : workqueues.cpumask(Workqueue.nameOfCpumask(knob.target()).orElseThrow());
    }

    private Cgroup root(Knob knob) {
        return Cgroup.root(host, knob.cgroupDirectory());
    }

    private Cpuset cpuset(Knob knob) {
        return Cgroup.atDirectory(host, knob.cgroupDirectory()).cpuset();
    }

    private static int irq(Knob knob) {
        return IrqAffinity.irqOfAffinityList(knob.target()).orElseThrow();
    }
}
