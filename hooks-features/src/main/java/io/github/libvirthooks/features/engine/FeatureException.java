package io.github.libvirthooks.features.engine;

/** A feature cannot do its work; the message says what and what to do, in one line. */
public class FeatureException extends RuntimeException {
    public FeatureException(String message) {
        super(message);
    }

    public FeatureException(String message, Throwable cause) {
        super(message, cause);
    }
}
