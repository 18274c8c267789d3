package io.github.libvirthooks.features.engine;

/** The arguments libvirt (or a user) passed do not form a hook invocation we understand. */
public class InvalidInvocationException extends RuntimeException {
    public InvalidInvocationException(String message) {
        super(message);
    }
}
