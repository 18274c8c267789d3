package io.github.libvirthooks.features.engine;

import io.github.libvirthooks.features.state.DamagedJournal;
import java.util.List;

/**
 * Another VM's journal cannot be read, so a feature cannot count the claims it shares with that
 * VM: counting them as zero could take its hugepages or hand its CPUs back to the host. At an
 * applying event the feature refuses (the engine rolls back what the run did); at release the
 * claim stays in the journal, the host as it is, until the damaged journal is dealt with.
 */
public final class DamagedJournalException extends FeatureException {
    private final transient List<DamagedJournal> damaged;

    private DamagedJournalException(String message, List<DamagedJournal> damaged) {
        super(message);
        this.damaged = List.copyOf(damaged);
    }

    /** The journals that could not be read; never empty. */
    public List<DamagedJournal> damaged() {
        return damaged;
    }

    /** Refusing to take or change a shared resource. */
    static DamagedJournalException refusing(List<DamagedJournal> damaged) {
        return new DamagedJournalException("cannot count the other VMs' claims: " + named(damaged) + "; "
                + damaged.get(0).advice(), damaged);
    }

    /** Not giving a shared resource back, because this VM may not be the last one using it. */
    static DamagedJournalException keeping(String vmName, List<DamagedJournal> damaged) {
        return new DamagedJournalException("left as it is, " + HookOperation.printable(vmName) + " may not be the last VM sharing it: " + named(damaged)
                + "; " + damaged.get(0).advice(), damaged);
    }

    private static String named(List<DamagedJournal> damaged) {
        DamagedJournal first = damaged.get(0);
        return "the journal " + first.shownFile() + " cannot be read (" + first.shownProblem() + ")"
                + (damaged.size() == 1 ? "" : " and " + (damaged.size() - 1) + " more (see 'libvirt-hooks status')");
    }
}
