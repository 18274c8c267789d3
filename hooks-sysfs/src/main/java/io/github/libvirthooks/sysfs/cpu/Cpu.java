package io.github.libvirthooks.sysfs.cpu;

import java.util.Objects;

/**
 * One online CPU (a hardware thread) as {@code /sys/devices/system/cpu/cpuN/topology} and
 * {@code /sys/devices/system/node} describe it.
 *
 * @param id        the CPU number ({@code N} in {@code cpuN})
 * @param coreId    {@code topology/core_id}; unique only within a package (and die), so never
 *                  use it alone to group threads: use {@link #siblings()}
 * @param packageId {@code topology/physical_package_id}; {@code -1} where the firmware does not
 *                  say (some virtual machines and ARM systems)
 * @param node      the NUMA node whose {@code cpulist} holds this CPU; 0 on kernels without
 *                  NUMA, {@code -1} if no node lists it
 * @param siblings  {@code topology/thread_siblings_list}: the hardware threads of this CPU's
 *                  physical core, itself included, restricted to online CPUs; numbering is
 *                  whatever the kernel says ({@code 0,1} or {@code 0,4} alike)
 * @param dieId     {@code topology/die_id}, or {@code -1} where the kernel has no such file
 */
public record Cpu(int id, int coreId, int packageId, int node, CpuSet siblings, int dieId) {
    /**
     * Validates the CPU number and adds the CPU to {@code siblings} if missing: the kernel's
     * {@code thread_siblings_list} always holds the CPU itself.
     */
    public Cpu {
        Objects.requireNonNull(siblings, "siblings");
        if (id < 0 || id > CpuSet.MAX_CPU) {
            throw new IllegalArgumentException("cpu id must be 0.." + CpuSet.MAX_CPU + ", was " + id);
        }
        if (!siblings.contains(id)) {
            siblings = siblings.union(CpuSet.of(id));
        }
    }
}
