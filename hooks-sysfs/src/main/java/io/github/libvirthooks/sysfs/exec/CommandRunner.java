package io.github.libvirthooks.sysfs.exec;

import java.time.Duration;
import java.util.List;

/**
 * The single choke point for running host commands ({@code chrt}, {@code renice},
 * {@code systemctl}, ...): always an argument list, never a shell string, always bounded in
 * time. Tests wrap it to inject failures, exactly like {@link io.github.libvirthooks.sysfs.HostRoot}.
 */
public interface CommandRunner {
    /**
     * Runs {@code argv} and waits at most {@code timeout}; on timeout the process and its
     * descendants are killed and a {@link CommandException} is thrown.
     */
    CommandResult run(List<String> argv, Duration timeout);

    /**
     * Runs a command that only reads the host ({@code systemctl show}, {@code ddcutil getvcp}):
     * a dry run runs it for real, where {@link #run} is only recorded.
     */
    default CommandResult query(List<String> argv, Duration timeout) {
        return run(argv, timeout);
    }

    /** Runs commands for real with {@link ProcessBuilder}. */
    static CommandRunner system() {
        return new ProcessCommandRunner();
    }
}
