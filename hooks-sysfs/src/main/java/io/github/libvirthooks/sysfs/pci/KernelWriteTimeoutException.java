package io.github.libvirthooks.sysfs.pci;

import io.github.libvirthooks.sysfs.HostAccessException;
import java.time.Duration;

/**
 * A write to a kernel file did not return in time: the kernel is still in it (an NVIDIA
 * {@code unbind} waits for every process that holds the card). The write may still complete
 * later, so nothing about the file's state is known; the caller must stop, not go on.
 */
public class KernelWriteTimeoutException extends HostAccessException {
    private final Duration limit;
    private final long writerPid;

    /**
     * @param writerPid the process left writing (it was told to stop; the kernel may keep it until the write returns)
     */
    public KernelWriteTimeoutException(String path, String value, Duration limit, long writerPid) {
        super(path, "writing '" + value + "' to " + path + " did not return within " + limit.toMillis()
                + " ms: the kernel is still in it (a process holding the device keeps the driver busy); its writer, pid "
                + writerPid + ", was left behind");
        this.limit = limit;
        this.writerPid = writerPid;
    }

    /** The process that was left writing. */
    public long writerPid() {
        return writerPid;
    }

    /** How long the write was given. */
    public Duration limit() {
        return limit;
    }
}
