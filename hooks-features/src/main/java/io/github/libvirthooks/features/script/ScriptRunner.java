package io.github.libvirthooks.features.script;

/** Runs user scripts: the choke point tests replace, like {@code CommandRunner} for host commands. */
public interface ScriptRunner {
    /** Runs a script to its end or its timeout; never throws for the script's own failure. */
    ScriptResult run(ScriptCall call);
}
