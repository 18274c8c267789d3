package io.github.libvirthooks.features.state;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A journal in the state directory that cannot be read. What its VM changed on the host is
 * unknown, so its claims must never be counted as zero: features that share counted resources
 * refuse to count while it is there.
 *
 * @param file    the journal file
 * @param problem what is wrong with it, without the file name (file content, as read)
 * @param vmName  the VM it belongs to, when its header still names one whose journal is this file
 */
public record DamagedJournal(Path file, String problem, Optional<String> vmName) {
    public DamagedJournal {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(problem, "problem");
        Objects.requireNonNull(vmName, "vmName");
    }

    /** {@code FILE: PROBLEM}, escaped for one line of output. */
    public String describe() {
        return shownFile() + ": " + shownProblem();
    }

    /** The file, escaped for one line of output. */
    public String shownFile() {
        return printable(file.toString());
    }

    /** What is wrong, escaped for one line of output. */
    public String shownProblem() {
        return printable(problem);
    }

    /** What the user should do about it, escaped for one line of output. */
    public String advice() {
        if (vmName.isEmpty()) {
            return byHand();
        }
        String vm = printable(vmName.get());
        return "run 'libvirt-hooks restore --vm " + vm + "' while " + vm + " is not running, or if that cannot read the journal"
                + " either, " + byHand();
    }

    /**
     * The way out when no libvirt-hooks can read the file, escaped for one line of output; it
     * follows {@link #describe()} or another mention of the file.
     */
    public String byHand() {
        return "check by hand what " + vmName.map(DamagedJournal::printable).orElse("its VM") + " changed on the host and delete the file";
    }

    @Override
    public String toString() {
        return describe();
    }

    /**
     * File names and journal contents are data: control characters are shown as {@code \xNN}
     * and length is bounded, so that a hostile file cannot forge or hide lines of output.
     */
    public static String printable(String s) {
        StringBuilder out = new StringBuilder();
        // A loop, not codePoints().forEach: this runs at every event (the lock holder's name), where a lambda costs a bootstrap.
        int shown = 0;
        for (int i = 0; i < s.length() && shown < 200; shown++) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                out.append(String.format(Locale.ROOT, "\\x%02x", c));
            } else {
                out.appendCodePoint(c);
            }
        }
        return out.toString();
    }
}
