package io.github.libvirthooks.features.state;

/** The state directory or a journal in it cannot be read or written. */
public class JournalException extends RuntimeException {
    public JournalException(String message) {
        super(message);
    }

    public JournalException(String message, Throwable cause) {
        super(message, cause);
    }
}
