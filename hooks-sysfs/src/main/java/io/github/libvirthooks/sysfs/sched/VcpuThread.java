package io.github.libvirthooks.sysfs.sched;

import java.util.Objects;

/**
 * A QEMU vCPU thread with its vCPU index (the {@code vcpu} of libvirt's {@code <vcpupin>}).
 *
 * @param vcpu   the vCPU index
 * @param thread the thread
 */
public record VcpuThread(int vcpu, TaskThread thread) {
    /** Rejects a null thread. */
    public VcpuThread {
        Objects.requireNonNull(thread, "thread");
    }
}
