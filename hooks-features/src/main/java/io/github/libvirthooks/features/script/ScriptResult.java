package io.github.libvirthooks.features.script;

import java.time.Duration;

/**
 * How a script run ended.
 *
 * @param exitCode its exit status; -1 when it could not start or was killed
 * @param timedOut true when it ran out of time and was killed with its process group
 * @param elapsed  how long it ran
 * @param lastLine the last non-empty line it printed (stdout or stderr), for messages
 * @param problem  why it could not start, empty otherwise
 */
public record ScriptResult(int exitCode, boolean timedOut, Duration elapsed, String lastLine, String problem) {
    public boolean succeeded() {
        return exitCode == 0 && !timedOut && problem.isEmpty();
    }

    /** What went wrong, in a few words: {@code exited with status 3}, {@code did not finish within 30s and was killed}. */
    public String describe(Duration timeout) {
        if (!problem.isEmpty()) {
            return "could not be started: " + problem;
        }
        if (timedOut) {
            return "did not finish within " + ScriptFeature.format(timeout) + " and was killed with its process group";
        }
        return "exited with status " + exitCode;
    }
}
