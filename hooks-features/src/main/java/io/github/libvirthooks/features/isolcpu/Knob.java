package io.github.libvirthooks.features.isolcpu;

import io.github.libvirthooks.sysfs.cgroup.Cgroup;
import io.github.libvirthooks.sysfs.cgroup.Cpuset;
import io.github.libvirthooks.sysfs.irq.IrqAffinity;
import io.github.libvirthooks.sysfs.kernel.KernelSysctl;
import io.github.libvirthooks.sysfs.kernel.Workqueue;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One host setting that {@code isolcpu} changes, named so that release can find it again from
 * the claim alone: the kind says which hooks-sysfs class reads and writes it, the target says
 * where (the file's host path as that class names it, or a systemd unit).
 *
 * <p>Knobs sort in the order they are applied: the cpuset controller first, then the host's
 * cgroups shrink, then the VMs' partition grows, then the optional knobs. Release walks the
 * same list backwards, so the partition shrinks before the host's cgroups grow again.
 *
 * @param kind   what sort of setting
 * @param target the file's host path or the unit's name
 */
record Knob(Kind kind, String target) implements Comparable<Knob> {
    /** The units systemd puts host work in. */
    static final List<String> HOST_UNITS = List.of("init.scope", "system.slice", "user.slice");
    /** The unit systemd puts libvirt's VMs in. */
    static final String VMS_UNIT = "machine.slice";

    private static final Comparator<Knob> ORDER = Comparator.comparingInt((Knob k) -> k.kind.rank)
            .thenComparing(Knob::target);

    /**
     * @throws IllegalArgumentException when the target is not one a knob of this kind can have
     *         (a damaged or planted journal must not turn release into "write anywhere")
     */
    Knob {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(target, "target");
        if (!kind.accepts(target)) {
            throw new IllegalArgumentException("'" + target + "' is not a " + kind.word + " setting");
        }
    }

    /** What sort of setting a knob is, and which option asked for it. */
    enum Kind {
        /** The cpuset controller enabled for the root cgroup's children ({@link Cgroup#enableControllers}). */
        SUBTREE_CONTROL("subtree-control", Group.SLICES, 0),
        /** A top-level host cgroup's CPUs ({@link Cpuset#setCpus}): the host CPUs. */
        HOST_CPUSET("host-cpuset", Group.SLICES, 1),
        /** systemd AllowedCPUs of a host unit: the host CPUs. */
        HOST_UNIT("host-unit", Group.SLICES, 1),
        /** The VMs' cgroup's CPUs: the VMs' CPUs. */
        VMS_CPUSET("vms-cpuset", Group.PARTITION, 2),
        /** systemd AllowedCPUs of machine.slice: the VMs' CPUs. */
        VMS_UNIT("vms-unit", Group.PARTITION, 2),
        /** The VMs' cgroup's partition type ({@link Cpuset#setPartition}). */
        PARTITION("partition", Group.PARTITION, 3),
        /** A workqueue mask ({@link Workqueue}: the unbound one, writeback's). */
        WORKQUEUE("workqueue", Group.WORKQUEUE, 4),
        /** The default affinity of new interrupts ({@link IrqAffinity#setDefaultAffinity}). */
        IRQ_DEFAULT("irq-default", Group.IRQ, 5),
        /** One interrupt's affinity ({@link IrqAffinity#setAffinity}). */
        IRQ("irq", Group.IRQ, 6),
        /** Timer migration ({@link KernelSysctl#setTimerMigration}). */
        TIMER_MIGRATION("timer-migration", Group.TIMER_MIGRATION, 7);

        private final String word;
        private final Group group;
        private final int rank;

        Kind(String word, Group group, int rank) {
            this.word = word;
            this.group = group;
            this.rank = rank;
        }

        /** The option that asks for knobs of this kind. */
        Group group() {
            return group;
        }

        /** The word the journal keeps for this kind. */
        String word() {
            return word;
        }

        static Optional<Kind> fromWord(String word) {
            for (Kind k : values()) {
                if (k.word.equals(word)) {
                    return Optional.of(k);
                }
            }
            return Optional.empty();
        }

        private boolean accepts(String target) {
            return switch (this) {
                case SUBTREE_CONTROL -> cgroupFile(target, Cgroup.SUBTREE_CONTROL);
                case HOST_CPUSET, VMS_CPUSET -> cgroupFile(target, Cpuset.CPUS);
                case PARTITION -> cgroupFile(target, Cpuset.PARTITION);
                case HOST_UNIT -> HOST_UNITS.contains(target);
                case VMS_UNIT -> target.equals(Knob.VMS_UNIT);
                case WORKQUEUE -> target.equals(Workqueue.UNBOUND_CPUMASK) || Workqueue.nameOfCpumask(target).isPresent();
                case IRQ_DEFAULT -> target.equals(IrqAffinity.DEFAULT_SMP_AFFINITY);
                case IRQ -> IrqAffinity.irqOfAffinityList(target).isPresent();
                case TIMER_MIGRATION -> target.equals(KernelSysctl.TIMER_MIGRATION);
            };
        }

        private static boolean cgroupFile(String target, String file) {
            return target.startsWith("/") && target.endsWith("/" + file) && target.length() > file.length() + 2
                    && java.nio.file.Path.of(target).normalize().toString().equals(target);
        }
    }

    /** The groups of knobs a VM asks for through its options; slices always. */
    enum Group {
        SLICES("slices"),
        PARTITION("partition"),
        WORKQUEUE("workqueue"),
        IRQ("irq"),
        TIMER_MIGRATION("timer-migration");

        private final String word;

        Group(String word) {
            this.word = word;
        }

        String word() {
            return word;
        }

        static Optional<Group> fromWord(String word) {
            for (Group g : values()) {
                if (g.word.equals(word)) {
                    return Optional.of(g);
                }
            }
            return Optional.empty();
        }
    }

    Group group() {
        return kind.group;
    }

    /** The directory of the cgroup a cgroup knob's file belongs to. */
    String cgroupDirectory() {
        return target.substring(0, target.lastIndexOf('/'));
    }

    /** How reports and {@code status} name it. */
    String describe() {
        return switch (kind) {
            case HOST_UNIT, VMS_UNIT -> target + " AllowedCPUs";
            default -> target;
        };
    }

    @Override
    public int compareTo(Knob other) {
        return ORDER.compare(this, other);
    }
}
