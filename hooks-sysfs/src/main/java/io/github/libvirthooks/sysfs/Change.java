package io.github.libvirthooks.sysfs;

import java.util.Objects;

/**
 * One value changed on the host: the file (as an absolute host path such as
 * {@code /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages}), the value it held before
 * and the value written. Writing {@link #before()} back to {@link #path()} undoes it.
 *
 * @param path   absolute host path, independent of the {@link HostRoot} it was made under
 * @param before content read just before the write, trimmed of the trailing newline
 * @param after  value written
 */
public record Change(String path, String before, String after) {
    /** Rejects null parts; empty strings are valid values. */
    public Change {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(before, "before");
        Objects.requireNonNull(after, "after");
    }

    /** True when the write did not change the value as read. */
    public boolean isNoOp() {
        return before.equals(after);
    }

    @Override
    public String toString() {
        return path + ": " + before + " -> " + after;
    }
}
