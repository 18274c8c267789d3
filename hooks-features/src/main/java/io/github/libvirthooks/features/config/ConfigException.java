package io.github.libvirthooks.features.config;

/**
 * The configuration is wrong: one line naming the key, the value, where it came from and
 * what is allowed. Thrown before anything on the host changes.
 */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
