package io.github.libvirthooks.features.engine;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.state.JournalEntry;
import io.github.libvirthooks.features.state.VmJournal;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What a feature sees during one hook run.
 *
 * @param invocation  the hook event
 * @param domain      the VM's parsed domain XML
 * @param options     this feature's options (metadata attributes merged over properties)
 * @param host        host file access; in {@code apply} every write is journaled first
 * @param claimHost   host file access for resources a claim tracks (not journaled as file changes,
 *                    because the claim says how to give back a share of a counted resource)
 * @param commands    host command access
 * @param journals    the journals of every VM that has state, this VM's excluded, to count shared claims
 * @param claims      records or updates a claim in this VM's journal before the host is touched
 * @param report      receives a line for each thing done, for the user
 */
public record FeatureContext(
        HookInvocation invocation,
        Domain domain,
        Map<String, String> options,
        HostRoot host,
        HostRoot claimHost,
        CommandRunner commands,
        List<VmJournal> journals,
        ClaimRecorder claims,
        Consumer<String> report) {

    /** Records a claim before the resource is taken, and updates it with what was really taken. */
    public interface ClaimRecorder {
        /** Appends a new claim. */
        void record(JournalEntry claim);

        /** Replaces the claim just recorded (same feature and key) with its final numbers. */
        void update(JournalEntry claim);
    }

    /** Claims of other VMs on a resource, for counting. */
    public List<JournalEntry> otherClaims(String feature, String resource) {
        return journals.stream()
                .flatMap(j -> j.entries().stream())
                .filter(e -> e.kind() == JournalEntry.Kind.CLAIM && e.feature().equals(feature) && e.key().equals(resource))
                .toList();
    }
}
