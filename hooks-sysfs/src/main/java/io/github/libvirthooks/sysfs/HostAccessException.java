package io.github.libvirthooks.sysfs;

/**
 * A read or write of a host file failed, or was refused. The message always names the path,
 * the value (for writes) and the reason, so that it can be shown to the user as is.
 */
public class HostAccessException extends RuntimeException {
    /** The absolute host path the failure is about. */
    private final String path;

    /**
     * A failure about the host file {@code path}.
     *
     * @param path    the host path the failure is about
     * @param message one line for the user
     */
    public HostAccessException(String path, String message) {
        super(message);
        this.path = path;
    }

    /**
     * A failure about the host file {@code path} caused by {@code cause}, typically the
     * {@link java.io.IOException} of the read or write.
     *
     * @param path    the host path the failure is about
     * @param message one line for the user
     * @param cause   the underlying failure
     */
    public HostAccessException(String path, String message, Throwable cause) {
        super(message, cause);
        this.path = path;
    }

    /** The absolute host path the failure is about. */
    public String path() {
        return path;
    }

    /**
     * The kernel's answer behind this failure, for callers that treat some answers as
     * expected (an IRQ that is not movable answers EIO, a cgroup still in use answers EBUSY).
     * The JDK reports only the C library's message text, so it is mapped here, in one place.
     */
    public Errno errno() {
        for (Throwable t = getCause(); t != null; t = t.getCause()) {
            if (t instanceof java.nio.file.NoSuchFileException) {
                return Errno.ENOENT;
            }
            if (t instanceof java.nio.file.AccessDeniedException) {
                return Errno.EACCES;
            }
            String reason = t instanceof java.nio.file.FileSystemException fse ? fse.getReason() : t.getMessage();
            if (reason != null) {
                for (Errno errno : Errno.values()) {
                    if (errno.text != null && reason.contains(errno.text)) {
                        return errno;
                    }
                }
            }
        }
        return Errno.OTHER;
    }

    /** The error numbers kernel files answer with that callers act on. */
    public enum Errno {
        /** No such file or directory. */
        ENOENT("No such file or directory"),
        /** Permission denied. */
        EACCES("Permission denied"),
        /** Device or resource busy: for example a cgroup controller still in use below. */
        EBUSY("Device or resource busy"),
        /** Invalid argument: the kernel refused the value. */
        EINVAL("Invalid argument"),
        /** Input/output error: for example an IRQ whose affinity cannot be changed. */
        EIO("Input/output error"),
        /** No space left on device: for example no CPU left in a cpuset. */
        ENOSPC("No space left on device"),
        /** Anything else. */
        OTHER(null);

        private final String text;

        Errno(String text) {
            this.text = text;
        }
    }
}
