package io.github.libvirthooks.sysfs.sched;

import java.util.Objects;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One thread of a process, from {@code /proc/PID/task/TID/comm}.
 *
 * <p>QEMU names its threads: {@code CPU 3/KVM} (or {@code CPU 3/TCG} without KVM) is the
 * thread of vCPU 3, {@code IO iothread1} an I/O thread; the rest (main loop, workers,
 * {@code call_rcu}, display) are what libvirt calls emulator threads.
 *
 * @param pid  the process (thread group) id
 * @param tid  the thread id
 * @param name the thread's name ({@code comm}, at most 15 bytes, any characters)
 */
public record TaskThread(int pid, int tid, String name) {
    private static final Pattern VCPU = Pattern.compile("CPU (\\d{1,5})/[A-Za-z]+");

    /** Rejects a null name and ids outside the kernel's range 1..{@code PID_MAX_LIMIT}. */
    public TaskThread {
        Objects.requireNonNull(name, "name");
        ProcessThreads.requireId("pid", pid);
        ProcessThreads.requireId("tid", tid);
    }

    /** The vCPU index if this is a QEMU vCPU thread ({@code CPU N/KVM}). */
    public OptionalInt vcpuIndex() {
        Matcher m = VCPU.matcher(name);
        return m.matches() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
    }

    /** True for a QEMU I/O thread ({@code IO <id>}). */
    public boolean isIoThread() {
        return name.startsWith("IO ");
    }
}
