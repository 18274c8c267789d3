package io.github.libvirthooks.sysfs.irq;

import io.github.libvirthooks.sysfs.Change;
import java.util.Objects;

/**
 * What became of a request to move an interrupt: moved (with the change that undoes it) or
 * refused by the kernel because the interrupt cannot be moved from user space. A refusal is
 * normal (the timer, per-CPU interrupts, managed MSI-X vectors of NVMe and network queues), so
 * callers skip it and report it instead of failing.
 */
public sealed interface AffinityResult permits AffinityResult.Moved, AffinityResult.NotMovable {
    /** The interrupt number. */
    int irq();

    /** The kernel accepted the new affinity. */
    record Moved(int irq, Change change) implements AffinityResult {
        /** Requires the change, which is what undoes the move. */
        public Moved {
            Objects.requireNonNull(change, "change");
        }
    }

    /**
     * The kernel refused with EIO: the interrupt's affinity is managed by the kernel or fixed
     * (per-CPU, {@code IRQD_NO_BALANCING}). Nothing was changed.
     *
     * @param reason the kernel's answer, for the user
     */
    record NotMovable(int irq, String reason) implements AffinityResult {
        /** Requires the kernel's reason, which is shown to the user. */
        public NotMovable {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
