package io.github.libvirthooks.sysfs.kernel;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.util.Objects;

/**
 * Scheduler and timer knobs under {@code /proc/sys/kernel} that matter for real-time vCPU
 * threads: {@code sched_rt_runtime_us} (RT throttling) and {@code timer_migration}.
 * Values are checked before the write so the user gets a reason, not the kernel's bare EINVAL.
 */
public final class KernelSysctl {
    /** {@code kernel.sched_rt_runtime_us}. */
    public static final String SCHED_RT_RUNTIME_US = "/proc/sys/kernel/sched_rt_runtime_us";
    /** The sysctl name of {@link #SCHED_RT_RUNTIME_US} below {@code kernel.}, as reports and journals name it. */
    public static final String SCHED_RT_RUNTIME_US_NAME = "sched_rt_runtime_us";
    /** {@code kernel.sched_rt_period_us}. */
    public static final String SCHED_RT_PERIOD_US = "/proc/sys/kernel/sched_rt_period_us";
    /** {@code kernel.timer_migration}. */
    public static final String TIMER_MIGRATION = "/proc/sys/kernel/timer_migration";

    private final HostRoot host;

    /** The knobs below {@code host}. */
    public KernelSysctl(HostRoot host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    /**
     * {@code sched_rt_runtime_us}: microseconds per {@code sched_rt_period_us} that real-time
     * tasks may use before the kernel throttles them; {@code -1} means no limit.
     */
    public long schedRtRuntimeUs() {
        return host.readLong(require(SCHED_RT_RUNTIME_US, "RT throttling"));
    }

    /**
     * Sets {@code sched_rt_runtime_us}; {@code -1} disables RT throttling (an RT vCPU thread may
     * then starve host work on its CPU).
     *
     * @throws IllegalArgumentException if {@code micros} is below -1 or above the period
     */
    public Change setSchedRtRuntimeUs(long micros) {
        String path = require(SCHED_RT_RUNTIME_US, "RT throttling");
        if (micros < -1 || micros > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("invalid sched_rt_runtime_us " + micros
                    + ": must be -1 (no limit) or 0.." + Integer.MAX_VALUE + " microseconds");
        }
        if (micros >= 0 && host.exists(SCHED_RT_PERIOD_US)) {
            long period = host.readLong(SCHED_RT_PERIOD_US);
            if (micros > period) {
                throw new IllegalArgumentException("invalid sched_rt_runtime_us " + micros
                        + ": must not exceed sched_rt_period_us (" + period + "); use -1 for no limit");
            }
        }
        return host.write(path, Long.toString(micros));
    }

    /**
     * {@code timer_migration}: whether the kernel may move timers from idle CPUs to busy ones
     * (true, the default) or keeps them where they were armed (false).
     */
    public boolean timerMigration() {
        String path = require(TIMER_MIGRATION, "timer migration (CONFIG_NO_HZ_COMMON)");
        long value = host.readLong(path);
        if (value != 0 && value != 1) {
            throw new HostAccessException(path, path + ": expected 0 or 1, found " + value);
        }
        return value == 1;
    }

    /** True when the kernel offers {@code timer_migration} (CONFIG_NO_HZ_COMMON). */
    public boolean offersTimerMigration() {
        return host.exists(TIMER_MIGRATION);
    }

    /** Sets {@code timer_migration} to 1 (enabled) or 0. */
    public Change setTimerMigration(boolean enabled) {
        return host.write(require(TIMER_MIGRATION, "timer migration (CONFIG_NO_HZ_COMMON)"), enabled ? "1" : "0");
    }

    private String require(String path, String feature) {
        if (!host.exists(path)) {
            throw new HostAccessException(path, "the kernel does not support " + feature + ": " + path + " is missing");
        }
        return path;
    }
}
