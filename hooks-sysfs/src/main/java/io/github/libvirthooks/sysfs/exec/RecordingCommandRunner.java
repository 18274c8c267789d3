package io.github.libvirthooks.sysfs.exec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The command runner of a dry run: {@link #run} records the command and answers
 * {@link CommandResult#recorded}, {@link #query} (commands that only read) runs for real
 * through the runner it wraps.
 */
public final class RecordingCommandRunner implements CommandRunner {
    private final CommandRunner queries;
    private final List<List<String>> recorded = new ArrayList<>();

    public RecordingCommandRunner(CommandRunner queries) {
        this.queries = Objects.requireNonNull(queries, "queries");
    }

    @Override
    public synchronized CommandResult run(List<String> argv, Duration timeout) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        recorded.add(List.copyOf(argv));
        return CommandResult.recorded(argv);
    }

    @Override
    public CommandResult query(List<String> argv, Duration timeout) {
        return queries.query(argv, timeout);
    }

    /** The commands recorded so far, in order. */
    public synchronized List<List<String>> recorded() {
        return List.copyOf(recorded);
    }
}
