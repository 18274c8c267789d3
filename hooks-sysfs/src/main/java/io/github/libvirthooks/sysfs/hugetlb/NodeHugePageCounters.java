package io.github.libvirthooks.sysfs.hugetlb;

/**
 * The counters of one hugepage size on one NUMA node, from
 * {@code /sys/devices/system/node/node<N>/hugepages/hugepages-<size>kB/}. The kernel keeps
 * reservations only host-wide, so there is no {@code resv_hugepages} here.
 *
 * @param node             the NUMA node
 * @param nrHugepages      {@code nr_hugepages}: persistent pages on this node
 * @param freeHugepages    {@code free_hugepages}: pages on this node not faulted in
 * @param surplusHugepages {@code surplus_hugepages}: overcommitted pages on this node
 */
public record NodeHugePageCounters(int node, long nrHugepages, long freeHugepages, long surplusHugepages) {
}
