package io.github.libvirthooks.sysfs.exec;

import java.util.List;

/**
 * What a finished command did.
 *
 * @param argv     the argument list that ran
 * @param exitCode its exit status
 * @param stdout   its standard output
 * @param stderr   its standard error
 * @param performed false when a dry run recorded the command instead of running it: then there is
 *                  no effect to wait for or to check
 */
public record CommandResult(List<String> argv, int exitCode, String stdout, String stderr, boolean performed) {
    /** Copies the argument list so the record stays immutable. */
    public CommandResult {
        argv = List.copyOf(argv);
    }

    /** A command that ran. */
    public CommandResult(List<String> argv, int exitCode, String stdout, String stderr) {
        this(argv, exitCode, stdout, stderr, true);
    }

    /** What a dry run answers for a command it recorded: success, no output, nothing performed. */
    public static CommandResult recorded(List<String> argv) {
        return new CommandResult(argv, 0, "", "", false);
    }

    /** True if the command exited with status 0. */
    public boolean succeeded() {
        return exitCode == 0;
    }

    /** Returns this result if the command succeeded, else throws naming the command and its stderr. */
    public CommandResult orThrow() {
        if (!succeeded()) {
            String detail = stderr.isBlank() ? stdout.strip() : stderr.strip();
            throw new CommandException(argv, argv.get(0) + " exited with status " + exitCode
                    + (detail.isEmpty() ? "" : ": " + firstLine(detail)));
        }
        return this;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
