package io.github.libvirthooks.sysfs;

/**
 * A read or write of a host file failed, or was refused. The message always names the path,
 * the value (for writes) and the reason, so that it can be shown to the user as is.
 */
public class HostAccessException extends RuntimeException {
    private final String path;

    public HostAccessException(String path, String message) {
        super(message);
        this.path = path;
    }

    public HostAccessException(String path, String message, Throwable cause) {
        super(message, cause);
        this.path = path;
    }

    /** The absolute host path the failure is about. */
    public String path() {
        return path;
    }
}
