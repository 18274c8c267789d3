package io.github.libvirthooks.features.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.Change;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDirectoryTest {
    @TempDir
    Path tmp;

    @Test
    void journalsRoundTripAnyNameAndValue() {
        StateDirectory state = new StateDirectory(tmp.resolve("run"));
        String hostile = "my vm; $(rm -rf /) \"quoted\" 'x' ../../etc/passwd %41 = + \t tab ünï";
        VmJournal journal = VmJournal.empty(hostile, "uuid-1")
                .append(JournalEntry.change("hugepages", new Change("/sys/a b", "", "line1 x=y")), Instant.parse("2026-11-25T10:00:00Z"))
                .append(JournalEntry.claim("hugepages", "2048kB", Map.of("added", "512", "needed", "512")), Instant.parse("2026-11-25T10:00:01Z"));
        state.save(journal);

        assertThat(state.load(hostile, "")).isEqualTo(journal);
        assertThat(state.fileFor(hostile).getParent()).isEqualTo(tmp.resolve("run"));
        assertThat(state.fileFor(hostile).getFileName().toString()).matches("vm-[A-Za-z0-9_-]+-[0-9a-f]{16}\\.journal");
    }

    @Test
    void stateIsReadableOnlyByItsOwner() throws IOException {
        StateDirectory state = new StateDirectory(tmp.resolve("run"));
        state.save(VmJournal.empty("a", "").append(JournalEntry.claim("f", "k", Map.of()), Instant.EPOCH));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.fileFor("a")))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("run")))).isEqualTo("rwx------");
    }

    @Test
    void anEmptyJournalRemovesTheFile() {
        StateDirectory state = new StateDirectory(tmp);
        state.save(VmJournal.empty("a", "").append(JournalEntry.claim("f", "k", Map.of()), Instant.EPOCH));
        state.save(VmJournal.empty("a", ""));
        assertThat(state.fileFor("a")).doesNotExist();
        assertThat(state.load("a", "u")).isEqualTo(VmJournal.empty("a", "u"));
    }

    @Test
    void aTruncatedJournalIsDetectedNotMisread() throws IOException {
        StateDirectory state = new StateDirectory(tmp);
        state.save(VmJournal.empty("a", "").append(JournalEntry.claim("f", "k", Map.of("n", "1")), Instant.EPOCH));
        Path file = state.fileFor("a");
        String text = Files.readString(file);
        for (int cut = 0; cut < text.length() - 1; cut++) {
            Files.writeString(file, text.substring(0, cut));
            assertThatThrownBy(() -> state.load("a", "")).isInstanceOf(JournalException.class);
        }
        List<String> damaged = new ArrayList<>();
        assertThat(state.loadAll(damaged)).isEmpty();
        assertThat(damaged).hasSize(1);
    }

    @Test
    void refusesAJournalFromANewerVersion() throws IOException {
        StateDirectory state = new StateDirectory(tmp);
        Files.writeString(state.fileFor("a"), "libvirt-hooks-journal 9\nvm a uuid % updated 1970-01-01T00:00:00Z\nend 2\n");
        assertThatThrownBy(() -> state.load("a", "")).hasMessageContaining("not supported by this version");
    }

    @Test
    void theLockCanBeTakenAgainOnceReleased() {
        StateDirectory state = new StateDirectory(tmp);
        try (StateDirectory.HostLock held = state.lock(java.time.Duration.ofSeconds(1))) {
            assertThat(held).isNotNull();
        }
        try (StateDirectory.HostLock again = state.lock(java.time.Duration.ofSeconds(1))) {
            assertThat(again).isNotNull();
        }
    }
}
