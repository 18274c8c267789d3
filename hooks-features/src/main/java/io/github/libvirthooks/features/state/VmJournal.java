package io.github.libvirthooks.features.state;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything applied to the host for one VM, in the order it was done.
 *
 * @param vmName  the VM
 * @param uuid    its uuid, when known
 * @param updated when the journal was last written
 * @param entries what was done, oldest first
 */
public record VmJournal(String vmName, String uuid, Instant updated, List<JournalEntry> entries) {
    public VmJournal {
        Objects.requireNonNull(vmName, "vmName");
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(updated, "updated");
        entries = List.copyOf(entries);
    }

    /** An empty journal. */
    public static VmJournal empty(String vmName, String uuid) {
        return new VmJournal(vmName, uuid, Instant.EPOCH, List.of());
    }

    public VmJournal append(JournalEntry entry, Instant now) {
        List<JournalEntry> next = new ArrayList<>(entries);
        next.add(entry);
        return new VmJournal(vmName, uuid, now, next);
    }

    /** This journal without the entry at {@code index} (that step has been undone). */
    public VmJournal remove(int index, Instant now) {
        List<JournalEntry> next = new ArrayList<>(entries);
        next.remove(index);
        return new VmJournal(vmName, uuid, now, next);
    }

    /** This journal with the entry at {@code index} replaced (a claim recording its progress). */
    public VmJournal replace(int index, JournalEntry entry, Instant now) {
        List<JournalEntry> next = new ArrayList<>(entries);
        next.set(index, entry);
        return new VmJournal(vmName, uuid, now, next);
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }
}
