package io.github.libvirthooks.sysfs.kernel;

import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The {@code isolcpus=} boot parameter: which CPUs the kernel isolated at boot and how.
 *
 * @param flags        the isolation kinds; {@link IsolcpusFlag#DOMAIN} alone when the parameter
 *                     names no flag, as the kernel does
 * @param cpus         the isolated CPUs
 * @param unknownFlags flags this kernel version skips with a warning (written by a newer tool)
 */
public record Isolcpus(Set<IsolcpusFlag> flags, CpuSet cpus, List<String> unknownFlags) {
    /**
     * Applies the kernel's default ({@link IsolcpusFlag#DOMAIN} when no flag is named) and
     * copies the collections so the record stays immutable.
     */
    public Isolcpus {
        Objects.requireNonNull(cpus, "cpus");
        flags = flags.isEmpty() ? Set.copyOf(EnumSet.of(IsolcpusFlag.DOMAIN)) : Set.copyOf(EnumSet.copyOf(flags));
        unknownFlags = List.copyOf(unknownFlags);
    }
}
