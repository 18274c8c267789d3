package io.github.libvirthooks.sysfs.exec;

import java.util.List;

/** A host command could not be started, failed, or ran out of time. */
public class CommandException extends RuntimeException {
    /** The argument list of the command, program first. */
    private final List<String> argv;

    /**
     * A failure of the command {@code argv}, such as a non-zero exit status or a timeout.
     *
     * @param argv    the argument list that was run or tried, program first
     * @param message one line for the user
     */
    public CommandException(List<String> argv, String message) {
        super(message);
        this.argv = List.copyOf(argv);
    }

    /**
     * A failure of the command {@code argv} caused by {@code cause}, such as the
     * {@link java.io.IOException} of a program that cannot be started.
     *
     * @param argv    the argument list that was run or tried, program first
     * @param message one line for the user
     * @param cause   the underlying failure
     */
    public CommandException(List<String> argv, String message, Throwable cause) {
        super(message, cause);
        this.argv = List.copyOf(argv);
    }

    /** The argument list of the command that failed, program first. */
    public List<String> argv() {
        return argv;
    }
}
