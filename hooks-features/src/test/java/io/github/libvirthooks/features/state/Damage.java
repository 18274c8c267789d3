package io.github.libvirthooks.features.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/** Damaged journals, as a hand edit, a full disk or another version of libvirt-hooks leaves them. */
public final class Damage {
    private Damage() {
    }

    /**
     * Gives {@code vmName} a journal holding a hugepages and an isolcpu claim, then cuts off its
     * end line: the header still names the VM, the rest cannot be trusted.
     *
     * @return the journal file
     */
    public static Path truncatedJournal(StateDirectory state, String vmName) {
        state.save(VmJournal.empty(vmName, "")
                .append(JournalEntry.claim("hugepages", "hugepages-2048kB", Map.of("needed", "16", "added", "16", "phase", "held")),
                        Instant.EPOCH)
                .append(JournalEntry.claim("isolcpu", "cpus", Map.of("cpus", "1,5", "backend", "cgroup")), Instant.EPOCH));
        Path file = state.fileFor(vmName);
        cutEndLine(file);
        return file;
    }

    /**
     * Cuts the end line off an existing journal.
     *
     * @return the bytes it had, to put back once the damage is "dealt with"
     */
    public static byte[] cutEndLine(Path file) {
        try {
            byte[] whole = Files.readAllBytes(file);
            String text = new String(whole, StandardCharsets.UTF_8);
            // Without the newline before it too: the file ends inside the last entry, as a cut write leaves it.
            Files.writeString(file, text.substring(0, text.lastIndexOf("\nend ")), StandardCharsets.UTF_8);
            return whole;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
