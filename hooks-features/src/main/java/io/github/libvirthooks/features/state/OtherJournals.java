package io.github.libvirthooks.features.state;

import java.util.List;

/**
 * The journals of every VM but one, as read for counting shared claims.
 *
 * @param readable the journals that could be read
 * @param damaged  the journals that could not: their claims are unknown, never zero
 */
public record OtherJournals(List<VmJournal> readable, List<DamagedJournal> damaged) {
    public OtherJournals {
        readable = List.copyOf(readable);
        damaged = List.copyOf(damaged);
    }
}
