package io.github.libvirthooks.sysfs.cgroup;

import io.github.libvirthooks.sysfs.HostAccessException;

/**
 * A cgroup could not be read or changed as asked: cgroup v2 is not mounted, a controller
 * file is missing (the kernel or the parent cgroup does not offer it), a file holds text
 * that is not what the kernel documents, or a cgroup the caller named does not exist.
 * The message names the file and says what to do.
 */
public class CgroupException extends HostAccessException {
    /** A failure about {@code hostPath}, with a message fit to show as is. */
    public CgroupException(String hostPath, String message) {
        super(hostPath, message);
    }

    /** A failure about {@code hostPath} caused by {@code cause}. */
    public CgroupException(String hostPath, String message, Throwable cause) {
        super(hostPath, message, cause);
    }
}
