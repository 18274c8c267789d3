package io.github.libvirthooks.sysfs.memory;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;

import java.util.Objects;

/**
 * {@code /proc/sys/vm/compact_memory}: asks the kernel to compact all zones now, moving
 * movable pages together so that free memory forms the large contiguous blocks that
 * hugepages need. The write returns when compaction is done.
 *
 * <p>The file exists only in kernels built with {@code CONFIG_COMPACTION}; check
 * {@link #isSupported()} where compaction is only a help.
 */
public final class CompactMemory {
    /** The kernel file, as an absolute host path. */
    public static final String PATH = "/proc/sys/vm/compact_memory";

    private final HostRoot host;

    /** Compact memory on {@code host}. */
    public CompactMemory(HostRoot host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    /** True if the kernel can compact memory on demand ({@code CONFIG_COMPACTION}). */
    public boolean isSupported() {
        return host.exists(PATH);
    }

    /**
     * Compacts all memory zones (writes {@code 1}).
     *
     * @throws HostAccessException if the kernel has no {@code compact_memory} (built without
     *                             {@code CONFIG_COMPACTION}) or the write is refused
     */
    public void compactMemory() {
        if (!isSupported()) {
            throw new HostAccessException(PATH, "cannot compact memory: " + PATH
                    + " does not exist, the kernel was built without CONFIG_COMPACTION;"
                    + " free contiguous memory by closing programs, or reserve hugepages at boot");
        }
        host.trigger(PATH, "1");
    }
}
