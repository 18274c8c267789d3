package io.github.libvirthooks.sysfs.sched;

import java.util.Objects;

/**
 * A change of one thread's scheduling: what it was and what it became. Passing it to
 * {@link ThreadScheduling#restore} puts {@link #before()} back.
 *
 * @param tid    the thread id
 * @param before the scheduling read just before the change
 * @param after  the scheduling read back just after it
 */
public record SchedulingChange(int tid, Scheduling before, Scheduling after) {
    /** Rejects a null {@code before} or {@code after}. */
    public SchedulingChange {
        Objects.requireNonNull(before, "before");
        Objects.requireNonNull(after, "after");
    }

    /** True if nothing changed. */
    public boolean isNoOp() {
        return before.equals(after);
    }

    @Override
    public String toString() {
        return "thread " + tid + ": " + before + " -> " + after;
    }
}
