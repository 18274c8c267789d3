package io.github.libvirthooks.sysfs.memory;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;

import java.util.Objects;

/**
 * {@code /proc/sys/vm/drop_caches}: asks the kernel to drop clean page cache and reclaimable
 * slab objects (dentries, inodes), so that the freed memory can be used for something that
 * needs contiguous pages, such as hugepages.
 *
 * <p>Only clean pages are dropped: callers that want dirty pages written back run
 * {@code sync} before {@link #dropCaches()}. Dropping caches is harmless for correctness but costs
 * I/O later, as the host re-reads what it dropped.
 */
public final class DropCaches {
    /** The kernel file, as an absolute host path. */
    public static final String PATH = "/proc/sys/vm/drop_caches";

    /** What to drop; the kernel's values for {@code drop_caches}. */
    public enum Caches {
        /** {@code 1}: the page cache. */
        PAGE_CACHE("1"),
        /** {@code 2}: reclaimable slab objects (dentries and inodes). */
        SLAB("2"),
        /** {@code 3}: both. */
        ALL("3");

        private final String value;

        Caches(String value) {
            this.value = value;
        }

        /** The value written to {@code drop_caches}. */
        public String value() {
            return value;
        }
    }

    private final HostRoot host;

    /** Drop caches on {@code host}. */
    public DropCaches(HostRoot host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    /** True if the kernel offers {@code /proc/sys/vm/drop_caches}. */
    public boolean isSupported() {
        return host.exists(PATH);
    }

    /** Drops the page cache and reclaimable slab objects (writes {@code 3}). */
    public void dropCaches() {
        dropCaches(Caches.ALL);
    }

    /**
     * Drops the given caches.
     *
     * @throws HostAccessException if the file is missing (procfs not mounted at the root, or
     *                             no sysctl support) or the write is refused (not root)
     */
    public void dropCaches(Caches which) {
        Objects.requireNonNull(which, "which");
        if (!isSupported()) {
            throw new HostAccessException(PATH, "cannot drop caches: " + PATH
                    + " does not exist (is /proc mounted, and is the kernel built with CONFIG_SYSCTL?)");
        }
        host.trigger(PATH, which.value());
    }
}
