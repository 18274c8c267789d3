package io.github.libvirthooks.sysfs.sched;

/**
 * A thread's scheduling could not be changed: the tool failed, the thread is gone, or the
 * kernel did not apply what was asked. The message names the thread and the reason.
 */
public class SchedulingException extends RuntimeException {
    /** The thread the failure is about. */
    private final int tid;

    /**
     * A failure about thread {@code tid}, such as a policy the kernel did not apply.
     *
     * @param tid     the thread id the failure is about
     * @param message one line for the user
     */
    public SchedulingException(int tid, String message) {
        super(message);
        this.tid = tid;
    }

    /**
     * A failure about thread {@code tid} caused by {@code cause}, such as the
     * {@link io.github.libvirthooks.sysfs.exec.CommandException} of a failed {@code chrt} or
     * {@code renice}.
     *
     * @param tid     the thread id the failure is about
     * @param message one line for the user
     * @param cause   the underlying failure
     */
    public SchedulingException(int tid, String message, Throwable cause) {
        super(message, cause);
        this.tid = tid;
    }

    /** The thread the failure is about. */
    public int tid() {
        return tid;
    }
}
