package io.github.libvirthooks.sysfs.kernel;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Hugepages reserved at boot by one {@code hugepages=} parameter, with the page size of the
 * {@code hugepagesz=} (or {@code default_hugepagesz=}) before it.
 *
 * @param pageSizeBytes the page size in bytes, or 0 for the architecture's default size
 *                      (2 MiB on x86) when the command line names none
 * @param pages         the number of pages (the sum over nodes for the per-node form)
 * @param pagesPerNode  for the per-node form {@code hugepages=0:512,1:512}, pages by NUMA
 *                      node; empty for the plain form, which spreads pages over all nodes
 */
public record HugePagesBoot(long pageSizeBytes, long pages, Map<Integer, Long> pagesPerNode) {
    /**
     * Rejects a negative size or count, and copies the per-node counts, sorted by node, so the
     * record stays immutable.
     */
    public HugePagesBoot {
        if (pageSizeBytes < 0 || pages < 0) {
            throw new IllegalArgumentException("hugepages: size and count must not be negative");
        }
        pagesPerNode = Collections.unmodifiableMap(new TreeMap<>(pagesPerNode));
    }

    /** True when the command line did not name the page size: the architecture default applies. */
    public boolean isDefaultSize() {
        return pageSizeBytes == 0;
    }
}
