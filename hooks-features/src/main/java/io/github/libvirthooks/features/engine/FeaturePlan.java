package io.github.libvirthooks.features.engine;

import io.github.libvirthooks.features.state.JournalEntry;
import io.github.libvirthooks.sysfs.Change;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one feature would do at an event, recorded from the hook's own code run on a dry host.
 *
 * @param feature  the feature's name
 * @param notes    what it said on the way (warnings, skips, information), as the hook would log them
 * @param writes   the kernel and host files it would write, with their values now
 * @param created  the files and directories it would create
 * @param removed  the files and directory trees it would remove
 * @param commands the host commands it would run (commands that only read did run)
 * @param scripts  the user's scripts it would run, with their arguments
 * @param claims   the claims it would record in the VM's journal
 * @param effects  its decisions as values ({@link Effects})
 * @param refused  the hook's own message when it would refuse the event, and libvirt abort it where it can
 */
public record FeaturePlan(String feature, List<String> notes, List<Change> writes, List<String> created, List<String> removed,
        List<List<String>> commands, List<List<String>> scripts, List<JournalEntry> claims, Map<String, Object> effects,
        Optional<String> refused) {
    public FeaturePlan {
        notes = List.copyOf(notes);
        writes = List.copyOf(writes);
        created = List.copyOf(created);
        removed = List.copyOf(removed);
        commands = commands.stream().map(List::copyOf).toList();
        scripts = scripts.stream().map(List::copyOf).toList();
        claims = List.copyOf(claims);
        effects = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(effects));
    }
}
