package io.github.libvirthooks.sysfs.cgroup;

import java.util.Optional;

/**
 * The partition types a cgroup's {@code cpuset.cpus.partition} can be set to (Linux
 * Documentation/admin-guide/cgroup-v2.rst).
 */
public enum CpusetPartition {
    /** An ordinary member of its parent's partition (the default). */
    MEMBER("member"),
    /** A partition root: its CPUs are taken out of the parent's partition. */
    ROOT("root"),
    /** A partition root whose CPUs get no load balancing and no unbound kernel work. */
    ISOLATED("isolated");

    private final String kernelName;

    CpusetPartition(String kernelName) {
        this.kernelName = kernelName;
    }

    /** The word the kernel reads and writes ({@code member}, {@code root}, {@code isolated}). */
    public String kernelName() {
        return kernelName;
    }

    /** The type for a kernel word, if it is one. */
    public static Optional<CpusetPartition> fromKernelName(String word) {
        for (CpusetPartition partition : values()) {
            if (partition.kernelName.equals(word)) {
                return Optional.of(partition);
            }
        }
        return Optional.empty();
    }

    /** The kernel word. */
    @Override
    public String toString() {
        return kernelName;
    }
}
