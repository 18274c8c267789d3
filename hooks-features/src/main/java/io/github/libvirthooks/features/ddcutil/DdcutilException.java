package io.github.libvirthooks.features.ddcutil;

/** ddcutil is missing, found no monitor, or the monitor did not take the command; the message says which. */
public class DdcutilException extends RuntimeException {
    private final boolean missing;

    DdcutilException(String message, boolean missing, Throwable cause) {
        super(message, cause);
        this.missing = missing;
    }

    /** True when ddcutil itself is not installed or cannot run. */
    public boolean missing() {
        return missing;
    }
}
