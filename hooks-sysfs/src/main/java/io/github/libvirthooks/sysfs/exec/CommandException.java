package io.github.libvirthooks.sysfs.exec;

import java.util.List;

/** A host command could not be started, failed, or ran out of time. */
public class CommandException extends RuntimeException {
    private final List<String> argv;

    public CommandException(List<String> argv, String message) {
        super(message);
        this.argv = List.copyOf(argv);
    }

    public CommandException(List<String> argv, String message, Throwable cause) {
        super(message, cause);
        this.argv = List.copyOf(argv);
    }

    public List<String> argv() {
        return argv;
    }
}
