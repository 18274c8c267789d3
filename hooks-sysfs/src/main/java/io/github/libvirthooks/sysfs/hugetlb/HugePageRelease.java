package io.github.libvirthooks.sysfs.hugetlb;

import io.github.libvirthooks.sysfs.Change;

import java.util.List;
import java.util.Objects;

/**
 * What {@link HugePages#release} did.
 *
 * @param pool      the pool lowered
 * @param requested pages the caller asked to give back
 * @param released  pages really taken out of {@code nr_hugepages}; less than requested when
 *                  the pool had fewer unclaimed free pages
 * @param change    the net effect on {@code nr_hugepages}: before, and as read back after
 * @param writes    the writes made (none when there was nothing to give back)
 */
public record HugePageRelease(HugePagePool pool, long requested, long released, Change change, List<Change> writes) {
    /** Copies the list of writes so the record stays immutable. */
    public HugePageRelease {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(change, "change");
        writes = List.copyOf(writes);
    }

    /** True if every page asked for was given back. */
    public boolean isComplete() {
        return released == requested;
    }
}
