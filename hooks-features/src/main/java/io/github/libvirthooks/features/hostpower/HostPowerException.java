package io.github.libvirthooks.features.hostpower;

/** The host sleep or shutdown handler cannot go on; the message says what to do. */
public class HostPowerException extends RuntimeException {
    public HostPowerException(String message) {
        super(message);
    }

    public HostPowerException(String message, Throwable cause) {
        super(message, cause);
    }
}
