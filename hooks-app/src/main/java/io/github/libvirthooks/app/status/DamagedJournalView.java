package io.github.libvirthooks.app.status;

import io.github.libvirthooks.features.state.DamagedJournal;

/**
 * A journal that cannot be read, as {@code status --json} and {@code plan --json} show it (a
 * stable interface: fields are only added).
 *
 * @param file    the journal file
 * @param problem what is wrong with it
 * @param vm      the VM it belongs to when its header still names it, else {@code null}
 * @param advice  what to do about it, in words
 */
public record DamagedJournalView(String file, String problem, String vm, String advice) {
    public static DamagedJournalView of(DamagedJournal damaged) {
        return new DamagedJournalView(damaged.file().toString(), damaged.problem(), damaged.vmName().orElse(null), damaged.advice());
    }

    /** One line for {@code status} and {@code plan}: file and problem are data, shown escaped. */
    public String toText() {
        return "DAMAGED journal: " + DamagedJournal.printable(file) + ": " + DamagedJournal.printable(problem) + "; until it is dealt with, features that"
                + " count claims shared with other VMs refuse to start VMs, and releases keep what is shared: " + advice;
    }
}
