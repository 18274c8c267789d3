package io.github.libvirthooks.sysfs.hugetlb;

/**
 * The host-wide counters of one hugepage size, from
 * {@code /sys/kernel/mm/hugepages/hugepages-<size>kB/}.
 *
 * @param nrHugepages          {@code nr_hugepages}: persistent pages in the pool
 * @param freeHugepages        {@code free_hugepages}: pages not yet faulted in by anyone
 *                             (reserved pages included)
 * @param resvHugepages        {@code resv_hugepages}: free pages already promised to a mapping
 *                             (a running VM that has not touched all its memory yet)
 * @param surplusHugepages     {@code surplus_hugepages}: pages allocated above
 *                             {@code nr_hugepages} through overcommit
 * @param nrOvercommitHugepages {@code nr_overcommit_hugepages}: how many surplus pages may be
 *                             allocated on demand
 */
public record HugePageCounters(long nrHugepages, long freeHugepages, long resvHugepages,
                               long surplusHugepages, long nrOvercommitHugepages) {
    /**
     * Free pages nobody has claimed ({@code free - resv}): the only pages that can be taken
     * out of the pool without hurting a running program.
     */
    public long unclaimed() {
        return Math.max(0, freeHugepages - resvHugepages);
    }

    /** Pages faulted in by running programs ({@code nr + surplus - free}). */
    public long inUse() {
        return Math.max(0, nrHugepages + surplusHugepages - freeHugepages);
    }
}
