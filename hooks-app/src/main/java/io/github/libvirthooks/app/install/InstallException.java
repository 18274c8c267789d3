package io.github.libvirthooks.app.install;

/** Install or uninstall cannot go on; the message says why and what to do. */
public class InstallException extends RuntimeException {
    public InstallException(String message) {
        super(message);
    }

    public InstallException(String message, Throwable cause) {
        super(message, cause);
    }
}
