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
}
