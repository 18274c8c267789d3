package io.github.libvirthooks.sysfs.hugetlb;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * One pool of persistent hugepages the kernel keeps: pages of one size, either for the
 * whole host ({@code /sys/kernel/mm/hugepages/hugepages-2048kB}) or on one NUMA node
 * ({@code /sys/devices/system/node/node0/hugepages/hugepages-2048kB}).
 *
 * @param size the page size
 * @param node the NUMA node, or empty for the host-wide pool (the kernel then spreads pages
 *             over the nodes with memory)
 */
public record HugePagePool(HugePageSize size, OptionalInt node) {
    /** Where the kernel lists its hugepage sizes. */
    public static final String SIZES_DIR = "/sys/kernel/mm/hugepages";
    /** Where the kernel lists NUMA nodes. */
    public static final String NODES_DIR = "/sys/devices/system/node";

    /** Validates the node: NUMA nodes are numbered from 0. */
    public HugePagePool {
        Objects.requireNonNull(size, "size");
        Objects.requireNonNull(node, "node");
        if (node.isPresent() && node.getAsInt() < 0) {
            throw new IllegalArgumentException("invalid NUMA node " + node.getAsInt() + ": nodes are numbered from 0");
        }
    }

    /** The host-wide pool of {@code size} pages. */
    public static HugePagePool global(HugePageSize size) {
        return new HugePagePool(size, OptionalInt.empty());
    }

    /** The pool of {@code size} pages on NUMA node {@code node}. */
    public static HugePagePool onNode(HugePageSize size, int node) {
        return new HugePagePool(size, OptionalInt.of(node));
    }

    /** The pool's sysfs directory, as an absolute host path. */
    public String directory() {
        if (node.isEmpty()) {
            return SIZES_DIR + "/" + size.directoryName();
        }
        return nodeDirectory(node.getAsInt()) + "/hugepages/" + size.directoryName();
    }

    /** The pool's {@code nr_hugepages} file: the number of persistent pages, the knob to turn. */
    public String nrHugepagesPath() {
        return directory() + "/nr_hugepages";
    }

    static String nodeDirectory(int node) {
        return NODES_DIR + "/node" + node;
    }

    // Written out: a record's generated equals and hashCode bootstrap an invokedynamic call site
    // (java.lang.runtime.ObjectMethods), about 25 ms in the hook's cold JVM, where a pool is a map key.
    @Override
    public boolean equals(Object other) {
        return other instanceof HugePagePool o && o.size.equals(size) && o.node.equals(node);
    }

    @Override
    public int hashCode() {
        return 31 * size.hashCode() + node.hashCode();
    }

    /** For messages: {@code 2 MiB pages on node 0}, or {@code 2 MiB pages} for the host-wide pool. */
    @Override
    public String toString() {
        return size + " pages" + (node.isPresent() ? " on node " + node.getAsInt() : "");
    }
}
