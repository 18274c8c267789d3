package io.github.libvirthooks.sysfs.hugetlb;

import io.github.libvirthooks.sysfs.Change;

import java.util.List;
import java.util.Objects;

/**
 * What {@link HugePages#reserve} did: how many pages were asked for, how many the kernel
 * really added, and every write made. Give back exactly {@link #granted()} pages with
 * {@link HugePages#release} when the VM stops.
 *
 * @param pool          the pool raised
 * @param requested     pages asked for, on top of what the pool held
 * @param granted       pages the kernel really added (never more than {@code requested})
 * @param change        the net effect on {@code nr_hugepages}: value before the first write,
 *                      value read back after the last one
 * @param writes        every write, in order, exactly as {@link io.github.libvirthooks.sysfs.HostRoot#write}
 *                      returned it (the first, then one per retry)
 * @param reclaimRounds how many times caches were dropped and memory compacted before a retry
 * @param compacted     true if memory compaction ran at least once
 */
public record HugePageReservation(HugePagePool pool, long requested, long granted, Change change,
                                  List<Change> writes, int reclaimRounds, boolean compacted) {
    /**
     * Copies the list of writes so the record stays immutable, and checks that
     * {@code granted} lies between 0 and {@code requested}.
     */
    public HugePageReservation {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(change, "change");
        writes = List.copyOf(writes);
        if (granted < 0 || granted > requested) {
            throw new IllegalArgumentException("granted " + granted + " must be between 0 and requested " + requested);
        }
    }

    /** True if the kernel added every page asked for. */
    public boolean isComplete() {
        return granted == requested;
    }

    /** Pages asked for but not added. */
    public long shortfall() {
        return requested - granted;
    }
}
