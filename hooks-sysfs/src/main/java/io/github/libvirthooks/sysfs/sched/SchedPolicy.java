package io.github.libvirthooks.sysfs.sched;

import java.util.Optional;

/** A Linux scheduling policy, with the number the kernel uses for it ({@code SCHED_*} in {@code <linux/sched.h>}). */
public enum SchedPolicy {
    /** {@code SCHED_OTHER} (0, a.k.a. SCHED_NORMAL): the default fair scheduler, weighted by nice. */
    OTHER(0, "--other"),
    /** {@code SCHED_FIFO} (1): real-time, runs until it blocks or a higher priority wakes. */
    FIFO(1, "--fifo"),
    /** {@code SCHED_RR} (2): real-time, round-robin among equal priorities. */
    RR(2, "--rr"),
    /** {@code SCHED_BATCH} (3): fair scheduler, treated as CPU-bound (fewer wake-up preemptions). */
    BATCH(3, "--batch"),
    /** {@code SCHED_IDLE} (5): runs only when nothing else wants the CPU. */
    IDLE(5, "--idle"),
    /** {@code SCHED_DEADLINE} (6): earliest-deadline-first; needs runtime, deadline and period, so it is read only here. */
    DEADLINE(6, null),
    /** {@code SCHED_EXT} (7, Linux 6.12+): a BPF scheduler; read only here. */
    EXT(7, null);

    private final int kernelNumber;
    private final String chrtOption;

    SchedPolicy(int kernelNumber, String chrtOption) {
        this.kernelNumber = kernelNumber;
        this.chrtOption = chrtOption;
    }

    /** The kernel's number for the policy, as in field 41 of {@code /proc/PID/stat}. */
    public int kernelNumber() {
        return kernelNumber;
    }

    /** The kernel's name, such as {@code SCHED_FIFO}. */
    public String kernelName() {
        return "SCHED_" + name();
    }

    /** True for the real-time policies, which take a priority 1..99. */
    public boolean isRealTime() {
        return this == FIFO || this == RR;
    }

    /** True if {@code chrt -p} can set this policy with a priority alone. */
    public boolean isSettable() {
        return chrtOption != null;
    }

    /** The lowest valid priority: 1 for real-time policies, 0 otherwise. */
    public int minPriority() {
        return isRealTime() ? 1 : 0;
    }

    /** The highest valid priority: 99 for real-time policies, 0 otherwise. */
    public int maxPriority() {
        return isRealTime() ? 99 : 0;
    }

    /** The policy the kernel calls {@code number}, if known. */
    public static Optional<SchedPolicy> fromKernelNumber(int number) {
        for (SchedPolicy p : values()) {
            if (p.kernelNumber == number) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** chrt's option for the policy. */
    String chrtOption() {
        if (chrtOption == null) {
            throw new IllegalArgumentException(kernelName() + " cannot be set with a priority alone");
        }
        return chrtOption;
    }
}
