package io.github.libvirthooks.sysfs.hugetlb;

import java.util.Objects;
import java.util.Optional;

/**
 * The kernel could not add enough hugepages before the deadline, even after dropping caches
 * and compacting memory. The pages it did add have been given back (see {@link #rollback()}).
 */
public class HugePageShortfallException extends RuntimeException {
    private final transient HugePageReservation reservation;
    private final transient HugePageRelease rollback;

    /**
     * @param message     the whole message, shown to the user as is
     * @param reservation the partial reservation
     * @param rollback    the release that gave the partial pages back, or null if it failed
     */
    public HugePageShortfallException(String message, HugePageReservation reservation, HugePageRelease rollback) {
        super(message);
        this.reservation = Objects.requireNonNull(reservation, "reservation");
        this.rollback = rollback;
    }

    /** The partial reservation, before rollback. */
    public HugePageReservation reservation() {
        return reservation;
    }

    /** The release that undid the partial reservation; empty if it failed (see suppressed exceptions). */
    public Optional<HugePageRelease> rollback() {
        return Optional.ofNullable(rollback);
    }
}
