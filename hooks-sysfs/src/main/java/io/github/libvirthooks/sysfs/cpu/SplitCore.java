package io.github.libvirthooks.sysfs.cpu;

import java.util.Objects;

/**
 * A physical core whose hardware threads are split between a CPU set and the rest: some
 * threads inside, some outside. A VM pinned to half a core shares its caches and execution
 * units with whatever runs on the other half, which is worth a warning.
 *
 * @param core    all online hardware threads of the core
 * @param inside  the threads in the given set
 * @param outside the threads not in the given set
 */
public record SplitCore(CpuSet core, CpuSet inside, CpuSet outside) {
    /** Rejects null sets. */
    public SplitCore {
        Objects.requireNonNull(core, "core");
        Objects.requireNonNull(inside, "inside");
        Objects.requireNonNull(outside, "outside");
    }

    @Override
    public String toString() {
        return "core " + core + " split: " + inside + " inside, " + outside + " outside";
    }
}
