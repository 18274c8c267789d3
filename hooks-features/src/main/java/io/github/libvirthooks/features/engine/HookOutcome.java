package io.github.libvirthooks.features.engine;

import java.util.List;

/**
 * What a hook run did.
 *
 * @param applied  features that acted, in order
 * @param report   a line per host change made or undone
 * @param warnings problems that did not fail the run (for example an undo that failed at release)
 */
public record HookOutcome(List<String> applied, List<String> report, List<String> warnings) {
    public HookOutcome {
        applied = List.copyOf(applied);
        report = List.copyOf(report);
        warnings = List.copyOf(warnings);
    }
}
