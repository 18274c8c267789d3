package io.github.libvirthooks.sysfs.sched;

/**
 * A thread's scheduling could not be changed: the tool failed, the thread is gone, or the
 * kernel did not apply what was asked. The message names the thread and the reason.
 */
public class SchedulingException extends RuntimeException {
    private final int tid;

    public SchedulingException(int tid, String message) {
        super(message);
        this.tid = tid;
    }

    public SchedulingException(int tid, String message, Throwable cause) {
        super(message, cause);
        this.tid = tid;
    }

    /** The thread the failure is about. */
    public int tid() {
        return tid;
    }
}
