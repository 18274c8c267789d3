package io.github.libvirthooks.features.script;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The script runner of a dry run: records each script with its arguments and answers that it succeeded, having run nothing. */
public final class RecordingScriptRunner implements ScriptRunner {
    private final List<List<String>> recorded = new ArrayList<>();

    @Override
    public synchronized ScriptResult run(ScriptCall call) {
        recorded.add(call.argv());
        return new ScriptResult(0, false, Duration.ZERO, "", "");
    }

    /** The scripts' argument lists, in order. */
    public synchronized List<List<String>> recorded() {
        return List.copyOf(recorded);
    }
}
