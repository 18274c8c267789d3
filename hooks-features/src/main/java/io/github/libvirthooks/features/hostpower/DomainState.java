package io.github.libvirthooks.features.hostpower;

import java.util.Locale;

/** A domain's state as {@code virsh domstate} prints it. */
public enum DomainState {
    RUNNING("running"),
    PAUSED("paused"),
    PMSUSPENDED("pmsuspended"),
    SHUT_OFF("shut off"),
    IN_SHUTDOWN("in shutdown"),
    CRASHED("crashed"),
    BLOCKED("blocked"),
    IDLE("idle"),
    NO_STATE("no state"),
    /** A word this version does not know, or the domain is gone. */
    UNKNOWN("unknown");

    private final String word;

    DomainState(String word) {
        this.word = word;
    }

    /** virsh's word. */
    public String word() {
        return word;
    }

    /** Parses virsh's output (first line), {@link #UNKNOWN} for anything else. */
    public static DomainState parse(String output) {
        String line = output.strip().lines().findFirst().orElse("").strip().toLowerCase(Locale.ROOT);
        for (DomainState s : values()) {
            if (s.word.equals(line)) {
                return s;
            }
        }
        return UNKNOWN;
    }
}
