package io.github.libvirthooks.sysfs.sched;

import java.util.Objects;

/**
 * How the kernel schedules one thread, as {@code /proc/PID/task/TID/stat} reports it.
 *
 * @param policy     the scheduling policy
 * @param rtPriority the real-time priority, 1..99 for FIFO and RR, 0 for the others
 * @param nice       the nice value, -20..19 (kept, but without effect, while a real-time policy applies)
 */
public record Scheduling(SchedPolicy policy, int rtPriority, int nice) {
    /** Rejects a null policy; the priority and nice value are kept as the kernel reported them. */
    public Scheduling {
        Objects.requireNonNull(policy, "policy");
    }

    @Override
    public String toString() {
        return policy.kernelName() + (policy.isRealTime() ? " priority " + rtPriority : "") + " nice " + nice;
    }
}
