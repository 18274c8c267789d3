package io.github.libvirthooks.sysfs.sched;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandException;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Changes the scheduling policy, real-time priority and nice value of single threads with
 * util-linux {@code chrt -p} and {@code renice -n N -p}, and reads the result back from
 * {@code /proc/TID/task/TID/stat} to confirm the kernel applied it.
 *
 * <p>Every change returns a {@link SchedulingChange} holding the old scheduling, which
 * {@link #restore} puts back. Both tools act on the single thread id given (not on the whole
 * process), which is what per-vCPU tuning needs. util-linux {@code renice -n} sets the nice
 * value absolutely (unlike POSIX's increment); the read-back catches a tool that does otherwise.
 * Real-time policies need CAP_SYS_NICE (root), and RT throttling
 * ({@code sched_rt_runtime_us}) still applies to them.
 */
public final class ThreadScheduling {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final HostRoot host;
    private final CommandRunner runner;

    /** Reads threads below {@code host} and runs the tools through {@code runner}. */
    public ThreadScheduling(HostRoot host, CommandRunner runner) {
        this.host = Objects.requireNonNull(host, "host");
        this.runner = Objects.requireNonNull(runner, "runner");
    }

    /**
     * The scheduling of thread {@code tid}, of whichever process it belongs to.
     *
     * @throws HostAccessException if the thread does not exist
     */
    public Scheduling read(int tid) {
        return new ProcessThreads(host).scheduling(tid, tid);
    }

    /**
     * Sets the policy and real-time priority of thread {@code tid}:
     * {@code chrt --fifo -p 10 1234}.
     *
     * @param priority 1..99 for FIFO and RR; 0 for OTHER, BATCH and IDLE
     * @return the scheduling before and after
     * @throws IllegalArgumentException if the policy cannot be set this way or the priority is out of its range
     * @throws SchedulingException      if chrt fails or the kernel did not apply the policy
     */
    public SchedulingChange set(int tid, SchedPolicy policy, int priority) {
        Objects.requireNonNull(policy, "policy");
        ProcessThreads.requireId("tid", tid);
        validate(policy, priority);
        Scheduling before = read(tid);
        applyPolicy(tid, policy, priority);
        Scheduling after = read(tid);
        if (after.policy() != policy || (policy.isRealTime() && after.rtPriority() != priority)) {
            throw new SchedulingException(tid, "thread " + tid + ": asked for " + policy.kernelName() + " priority " + priority
                    + " but the kernel reports " + after);
        }
        return new SchedulingChange(tid, before, after);
    }

    /**
     * Sets the nice value of thread {@code tid}: {@code renice -n 5 -p 1234}.
     *
     * @param nice -20 (most favoured) .. 19
     * @throws IllegalArgumentException if {@code nice} is out of range
     * @throws SchedulingException      if renice fails or the kernel did not apply the value
     */
    public SchedulingChange setNice(int tid, int nice) {
        ProcessThreads.requireId("tid", tid);
        validateNice(nice);
        Scheduling before = read(tid);
        applyNice(tid, nice);
        Scheduling after = read(tid);
        if (after.nice() != nice) {
            throw new SchedulingException(tid, "thread " + tid + ": asked for nice " + nice + " but the kernel reports nice "
                    + after.nice() + " (renice must be util-linux's, where -n sets the value)");
        }
        return new SchedulingChange(tid, before, after);
    }

    /**
     * Puts back the scheduling a change replaced: policy and priority first, then nice, each
     * only if it differs from the thread's current one.
     *
     * @return the change this restore made
     * @throws SchedulingException if a tool fails or the old policy cannot be set ({@code SCHED_DEADLINE})
     */
    public SchedulingChange restore(SchedulingChange change) {
        Objects.requireNonNull(change, "change");
        int tid = change.tid();
        Scheduling target = change.before();
        Scheduling current = read(tid);
        if (current.policy() != target.policy() || current.rtPriority() != target.rtPriority()) {
            if (!target.policy().isSettable()) {
                throw new SchedulingException(tid, "thread " + tid + ": cannot restore " + target.policy().kernelName()
                        + " with chrt -p; set it back by hand");
            }
            applyPolicy(tid, target.policy(), target.policy().isRealTime() ? target.rtPriority() : 0);
        }
        if (current.nice() != target.nice()) {
            applyNice(tid, target.nice());
        }
        return new SchedulingChange(tid, current, read(tid));
    }

    /** The chrt argument list that sets {@code policy} and {@code priority} on {@code tid}. */
    static List<String> chrtArgv(int tid, SchedPolicy policy, int priority) {
        return List.of("chrt", policy.chrtOption(), "-p", Integer.toString(priority), Integer.toString(tid));
    }

    /** The renice argument list that sets the nice value of {@code tid}. */
    static List<String> reniceArgv(int tid, int nice) {
        return List.of("renice", "-n", Integer.toString(nice), "-p", Integer.toString(tid));
    }

    private void applyPolicy(int tid, SchedPolicy policy, int priority) {
        run(tid, chrtArgv(tid, policy, priority), "set " + policy.kernelName() + " priority " + priority);
    }

    private void applyNice(int tid, int nice) {
        run(tid, reniceArgv(tid, nice), "set nice " + nice);
    }

    private void run(int tid, List<String> argv, String what) {
        try {
            runner.run(argv, TIMEOUT).orThrow();
        } catch (CommandException e) {
            throw new SchedulingException(tid, "cannot " + what + " on thread " + tid + ": " + e.getMessage()
                    + " (is util-linux installed, does the thread still exist, and do we have CAP_SYS_NICE?)", e);
        }
    }

    private static void validate(SchedPolicy policy, int priority) {
        if (!policy.isSettable()) {
            throw new IllegalArgumentException(policy.kernelName() + " cannot be set here: it needs parameters beyond a priority");
        }
        if (priority < policy.minPriority() || priority > policy.maxPriority()) {
            throw new IllegalArgumentException("invalid priority " + priority + " for " + policy.kernelName() + ": must be "
                    + (policy.isRealTime() ? "1..99" : "0 (only real-time policies take a priority; use nice instead)"));
        }
    }

    private static void validateNice(int nice) {
        if (nice < -20 || nice > 19) {
            throw new IllegalArgumentException("invalid nice value " + nice + ": must be -20..19");
        }
    }
}
