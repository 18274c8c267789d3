package io.github.libvirthooks.sysfs.cgroup;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.util.Objects;

/**
 * The {@code cpuset} controller files of one cgroup v2 cgroup: which CPUs its tasks may
 * use, and whether it is a CPU partition (Linux
 * Documentation/admin-guide/cgroup-v2.rst, "Cpuset").
 *
 * <p>The files exist only when the parent enables {@code cpuset} in its
 * {@code cgroup.subtree_control}; the root cgroup has only the {@code .effective} files.
 * Each write checks that the file exists first and says which of these is missing.
 */
public final class Cpuset {
    /** The file of the CPUs asked for. */
    public static final String CPUS = "cpuset.cpus";
    private static final String CPUS_EFFECTIVE = "cpuset.cpus.effective";
    /** The file of the partition type. */
    public static final String PARTITION = "cpuset.cpus.partition";

    private final Cgroup cgroup;

    /** The cpuset files of {@code cgroup}; see also {@link Cgroup#cpuset()}. */
    public Cpuset(Cgroup cgroup) {
        this.cgroup = Objects.requireNonNull(cgroup, "cgroup");
    }

    /** The cgroup these files belong to. */
    public Cgroup cgroup() {
        return cgroup;
    }

    /** True when the cgroup has the cpuset files (the controller is enabled for it). */
    public boolean isEnabled() {
        return cgroup.hasFile(cgroup.isRoot() ? CPUS_EFFECTIVE : CPUS);
    }

    /** The CPUs asked for ({@code cpuset.cpus}); empty means "same as the parent". */
    public CpuSet cpus() {
        return readCpuList(CPUS);
    }

    /**
     * {@link #cpus()}, or empty (the parent's CPUs) while the controller is not enabled for the
     * cgroup: the file appears only once it is, and then reads empty.
     */
    public CpuSet cpusOrParents() {
        return isEnabled() ? cpus() : CpuSet.empty();
    }

    /** True when the kernel offers partitions here ({@code cpuset.cpus.partition}, Linux 5.15+, not at the root). */
    public boolean offersPartition() {
        return cgroup.hasFile(PARTITION);
    }

    /**
     * The partition state ({@code cpuset.cpus.partition}), including the kernel's report of
     * an invalid partition and its reason.
     */
    public CpusetPartitionState partition() {
        String text = cgroup.readFile(PARTITION, hint(PARTITION));
        try {
            return CpusetPartitionState.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CgroupException(cgroup.fileHostPath(PARTITION), cgroup.fileHostPath(PARTITION) + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code cpuset.cpus} in the kernel's list format ({@code 0-3,8}); empty gives the parent's CPUs back. */
    public Change setCpus(CpuSet cpus) {
        // An empty write may never reach the kernel; a lone newline is the empty list it parses.
        return write(CPUS, cpus.isEmpty() ? "\n" : cpus.toList());
    }

    /**
     * Writes {@code cpuset.cpus.partition}. Whether the kernel honoured it shows in
     * {@link #partition()} afterwards: an invalid partition is accepted by the write.
     *
     * <p>The returned change's {@code before} is the old partition type alone
     * ({@code root} rather than {@code root invalid (...)}), so that writing it back works.
     */
    public Change setPartition(CpusetPartition partition) {
        Objects.requireNonNull(partition, "partition");
        return cgroup.writeFile(PARTITION, partition.kernelName(), hint(PARTITION), before -> {
            try {
                return CpusetPartitionState.parse(before).partition().kernelName();
            } catch (IllegalArgumentException e) {
                // An unknown old state is kept verbatim: better a visible failing undo than a guess.
                return before;
            }
        });
    }

    private CpuSet readCpuList(String file) {
        String text = cgroup.readFile(file, hint(file));
        try {
            return CpuSet.parseList(text);
        } catch (IllegalArgumentException e) {
            throw new CgroupException(cgroup.fileHostPath(file), cgroup.fileHostPath(file) + ": " + e.getMessage(), e);
        }
    }

    private Change write(String file, String value) {
        return cgroup.writeFile(file, value, hint(file));
    }

    private String hint(String file) {
        if (cgroup.isRoot() && !file.endsWith(".effective")) {
            return "the root cgroup always owns all CPUs and memory nodes, only its .effective files exist;"
                    + " use a child cgroup";
        }
        String enable = "the cpuset controller is not enabled for it (write +cpuset to "
                + cgroup.parent().map(p -> p.fileHostPath("cgroup.subtree_control")).orElse("the parent's cgroup.subtree_control") + ")";
        if (file.equals(PARTITION)) {
            return "the kernel does not support cpuset partitions, or " + enable;
        }
        return enable + ", or the kernel lacks cpuset support (CONFIG_CPUSETS)";
    }
}
