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

    public KernelWriteTimeoutException(String path, String value, Duration limit) {
        super(path, "writing '" + value + "' to " + path + " did not return within " + limit.toMillis()
                + " ms: the kernel is still in it (a process holding the device keeps the driver busy)");
        this.limit = limit;
    }

    /** How long the write was given. */
    public Duration limit() {
        return limit;
    }
}
