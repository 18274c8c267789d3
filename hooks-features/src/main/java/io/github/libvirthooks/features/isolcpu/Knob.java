package io.github.libvirthooks.features.isolcpu;

import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;

/**
 * One host setting that {@code isolcpu} changes, named so that release can find it again from
 * the claim alone: the kind says how to read, write and compute it, the target says where
 * (a file path, a systemd unit).
 *
 * <p>Knobs sort in the order they are applied: the cpuset controller first, then the host's
 * cgroups shrink, then the VMs' partition grows, then the optional knobs. Release walks the
 * same list backwards, so the partition shrinks before the host's cgroups grow again.
 *
 * @param kind   what sort of setting
 * @param target the file path or unit name
 */
record Knob(Kind kind, String target) implements Comparable<Knob> {
    /** Prefix of the claim values that hold a knob's original value. */
    static final String ORIGINAL_PREFIX = "orig:";

    private static final Comparator<Knob> ORDER = Comparator.comparingInt((Knob k) -> k.kind.rank)
            .thenComparing(Knob::target);

    Knob {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(target, "target");
    }

    /** What sort of setting a knob is, and which option asked for it. */
    enum Kind {
        /** {@code +cpuset} in the root cgroup's {@code cgroup.subtree_control}. */
        SUBTREE_CONTROL("subtree-control", Group.SLICES, 0),
        /** {@code cpuset.cpus} of a top-level cgroup of the host: the host CPUs. */
        HOST_CPUSET("host-cpuset", Group.SLICES, 1),
        /** systemd {@code AllowedCPUs} of a host unit: the host CPUs. */
        HOST_UNIT("host-unit", Group.SLICES, 1),
        /** {@code cpuset.cpus} of the VMs' cgroup (machine.slice): the VMs' CPUs. */
        VMS_CPUSET("vms-cpuset", Group.PARTITION, 2),
        /** systemd {@code AllowedCPUs} of machine.slice: the VMs' CPUs. */
        VMS_UNIT("vms-unit", Group.PARTITION, 2),
        /** {@code cpuset.cpus.partition} of the VMs' cgroup. */
        PARTITION("partition", Group.PARTITION, 3),
        /** A workqueue {@code cpumask} (the unbound one, writeback's). */
        WORKQUEUE("workqueue", Group.WORKQUEUE, 4),
        /** {@code /proc/irq/default_smp_affinity}. */
        IRQ_DEFAULT("irq-default", Group.IRQ, 5),
        /** {@code /proc/irq/N/smp_affinity_list}. */
        IRQ("irq", Group.IRQ, 6),
        /** {@code /proc/sys/kernel/timer_migration}. */
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

        static Optional<Kind> fromWord(String word) {
            for (Kind k : values()) {
                if (k.word.equals(word)) {
                    return Optional.of(k);
                }
            }
            return Optional.empty();
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

    /** The claim value name under which this knob's original value is kept. */
    String claimKey() {
        return ORIGINAL_PREFIX + kind.word + ":" + target;
    }

    /** The knob a claim value name stands for, if it is one. */
    static Optional<Knob> fromClaimKey(String key) {
        if (!key.startsWith(ORIGINAL_PREFIX)) {
            return Optional.empty();
        }
        String rest = key.substring(ORIGINAL_PREFIX.length());
        int colon = rest.indexOf(':');
        if (colon <= 0) {
            return Optional.empty();
        }
        return Kind.fromWord(rest.substring(0, colon)).map(kind -> new Knob(kind, rest.substring(colon + 1)));
    }

    /** How the report names it. */
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
