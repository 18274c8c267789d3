package io.github.libvirthooks.features.script;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One script a VM runs.
 *
 * @param origin  where it was configured, for messages: {@code <script> #2}, {@code properties},
 *                or the folder it was found in
 * @param exec    the executable, an absolute path
 * @param event   when it runs
 * @param undo    run at release, only if {@code exec} ran and succeeded
 * @param timeout how long it may run before it is killed with its process group
 * @param failure what its failure means
 * @param options its {@code opt-<name>} options, passed as {@code LIBVIRT_HOOKS_OPT_<NAME>}
 */
public record ScriptSpec(String origin, Path exec, ScriptEvent event, Optional<Path> undo, Duration timeout, Failure failure,
        Map<String, String> options) {

    /** What a failing script does to the VM. */
    public enum Failure {
        /** Abort the operation (where libvirt allows it) and roll back what the run did. */
        ABORT,
        /** Log a warning and go on. */
        WARN;

        /** The word users write. */
        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public ScriptSpec {
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(exec, "exec");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(undo, "undo");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(failure, "failure");
        options = Map.copyOf(options);
    }
}
