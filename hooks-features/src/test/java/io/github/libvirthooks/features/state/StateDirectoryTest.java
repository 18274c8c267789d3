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
import java.util.Optional;
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
                .append(JournalEntry.claim("hugepages", "2048kB", Map.of("added", "512", "needed", "512")), Instant.parse("2026-11-25T10:00:01Z"))
                .append(JournalEntry.step("hugepages", "2048kB", "write", "/sys/n r", "0", "512"), Instant.parse("2026-11-25T10:00:02Z"))
                .append(JournalEntry.step("hugepages", "2048kB", "remove", "/run/a dir", "", ""), Instant.parse("2026-11-25T10:00:03Z"));
        state.save(journal);

        assertThat(state.load(hostile, "")).isEqualTo(journal);
        assertThat(state.fileFor(hostile).getParent()).isEqualTo(tmp.resolve("run"));
        assertThat(state.fileFor(hostile).getFileName().toString()).matches("vm-[A-Za-z0-9_-]+-[0-9a-f]{32}\\.journal");
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
        List<DamagedJournal> damaged = new ArrayList<>();
        assertThat(state.loadAll(damaged)).isEmpty();
        assertThat(damaged).hasSize(1);
    }

    @Test
    void aDamagedJournalIsReportedWithItsFileWhatIsWrongAndTheVmItsHeaderNames() {
        StateDirectory state = new StateDirectory(tmp);
        state.save(VmJournal.empty("a", "").append(JournalEntry.claim("f", "k", Map.of("n", "1")), Instant.EPOCH));
        Path file = Damage.truncatedJournal(state, "b");

        List<DamagedJournal> damaged = new ArrayList<>();
        assertThat(state.loadAll(damaged)).extracting(VmJournal::vmName).containsExactly("a");

        assertThat(damaged).singleElement().satisfies(d -> {
            assertThat(d.file()).isEqualTo(file);
            assertThat(d.problem()).isEqualTo("truncated journal (no valid end line)");
            assertThat(d.vmName()).contains("b");
            assertThat(d.describe()).isEqualTo(file + ": truncated journal (no valid end line)");
            assertThat(d.advice()).startsWith("run 'libvirt-hooks restore --vm b' while b is not running").endsWith("check by hand what b changed on the host and delete the file");
        });
    }

    @Test
    void aDamagedLineIsNamedByItsNumberAndAnUnreadableHeaderLeavesTheVmUnknown() throws IOException {
        StateDirectory state = new StateDirectory(tmp);
        Files.writeString(state.fileFor("a"), "libvirt-hooks-journal 1\nvm a uuid % updated 1970-01-01T00:00:00Z\nclaim f\nend 3\n");
        Files.writeString(tmp.resolve("vm-x.journal"), "garbage");

        List<DamagedJournal> damaged = new ArrayList<>();
        state.loadAll(damaged);

        assertThat(damaged).extracting(DamagedJournal::problem)
                .containsExactly("line 3: damaged entry", "not a libvirt-hooks journal");
        assertThat(damaged).extracting(DamagedJournal::vmName).containsExactly(Optional.of("a"), Optional.empty());
        assertThat(damaged.get(1).advice()).isEqualTo("check by hand what its VM changed on the host and delete the file");
    }

    @Test
    void aJournalFiledUnderAnotherVmsNameIsNeverCountedForEitherVm() throws IOException {
        StateDirectory state = new StateDirectory(tmp);
        state.save(VmJournal.empty("b", "").append(JournalEntry.claim("f", "k", Map.of("n", "1")), Instant.EPOCH));
        Files.move(state.fileFor("b"), state.fileFor("a"));

        List<DamagedJournal> damaged = new ArrayList<>();
        assertThat(state.loadAll(damaged)).isEmpty();

        assertThat(damaged).singleElement().satisfies(d -> {
            assertThat(d.problem()).startsWith("its header names VM 'b', whose journal is " + state.fileFor("b").getFileName());
            assertThat(d.vmName()).as("restore --vm b would not read this file").isEmpty();
        });
    }

    @Test
    void hostileFileNamesAndContentsAreShownEscaped() throws IOException {
        StateDirectory state = new StateDirectory(tmp);
        Path file = tmp.resolve("vm-\u001b[2J\n.journal");
        Files.writeString(file, "libvirt-hooks-journal 9\u001b]0;owned\u0007\r\nvm %0A%1B uuid % updated x\nend 2\n");

        List<DamagedJournal> damaged = new ArrayList<>();
        state.loadAll(damaged);

        DamagedJournal d = damaged.get(0);
        assertThat(d.describe() + d.advice()).doesNotContain("\u001b", "\n", "\r", "\u0007")
                .contains("vm-\\x1b[2J\\x0a.journal", "libvirt-hooks-journal 9\\x1b]0;owned\\x07\\x0d");
        assertThat(d.vmName()).as("the header's name does not map to this file").isEmpty();
    }

    @Test
    void theOtherVmsJournalsLeaveOutThisVmsOwnReadableOrDamaged() {
        StateDirectory state = new StateDirectory(tmp);
        state.save(VmJournal.empty("a", "").append(JournalEntry.claim("f", "k", Map.of("n", "1")), Instant.EPOCH));
        state.save(VmJournal.empty("b", "").append(JournalEntry.claim("f", "k", Map.of("n", "2")), Instant.EPOCH));
        Path damagedC = Damage.truncatedJournal(state, "c");

        OtherJournals forA = state.othersThan("a");
        assertThat(forA.readable()).extracting(VmJournal::vmName).containsExactly("b");
        assertThat(forA.damaged()).extracting(DamagedJournal::file).containsExactly(damagedC);

        assertThat(state.othersThan("c").damaged()).as("c's own journal is read by load(), which refuses it").isEmpty();
    }

    @Test
    void aJournalUnderTheSixtyFourBitNameOfReleaseZeroOneIsFoundAndKeptThereUntilEmptied() throws Exception {
        StateDirectory state = new StateDirectory(tmp);
        String name = "win10";
        // 0.1.0: vm-<name>-<first 8 bytes of SHA-256, hex>.journal
        Path legacy = tmp.resolve("vm-win10-" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(name.getBytes(java.nio.charset.StandardCharsets.UTF_8)), 0, 8) + ".journal");
        Files.writeString(legacy, "libvirt-hooks-journal 1\nvm win10 uuid % updated 1970-01-01T00:00:00Z\n"
                + "claim f r a=1\nclaim f s a=2\nend 4\n");

        assertThat(state.fileFor(name)).isEqualTo(legacy);
        VmJournal journal = state.load(name, "");
        assertThat(journal.entries()).hasSize(2);
        assertThat(state.loadAll(new java.util.ArrayList<>())).extracting(VmJournal::vmName).containsExactly(name);

        state.save(journal.remove(1, Instant.EPOCH));
        assertThat(legacy).as("kept under its name while the VM runs").exists();
        assertThat(state.load(name, "").entries()).hasSize(1);

        state.save(journal.remove(1, Instant.EPOCH).remove(0, Instant.EPOCH));
        assertThat(legacy).doesNotExist();
        assertThat(state.fileFor(name).getFileName().toString()).as("the next start: 128 bits").matches("vm-win10-[0-9a-f]{32}\\.journal");
    }

    @Test
    void writesFormatTwoAndStillReadsFormatOne() throws IOException {
        StateDirectory state = new StateDirectory(tmp);
        Files.writeString(state.fileFor("a"), "libvirt-hooks-journal 1\nvm a uuid % updated 1970-01-01T00:00:00Z\n"
                + "claim hugepages hugepages-2048kB added=32 base=0 needed=32 phase=held\nend 3\n");
        VmJournal old = state.load("a", "");
        assertThat(old.entries()).singleElement().satisfies(e -> assertThat(e.values()).containsEntry("needed", "32"));

        state.save(old);
        assertThat(Files.readString(state.fileFor("a"))).startsWith("libvirt-hooks-journal 2\n");
        assertThat(state.load("a", "")).isEqualTo(old);
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

    @Test
    void aFifoAtTheLockIsRefusedAtOnceInsteadOfHangingTheHook() throws Exception {
        StateDirectory state = new StateDirectory(tmp.resolve("run"));
        state.lock(java.time.Duration.ofSeconds(1)).close();
        Path lock = tmp.resolve("run/lock");
        Files.delete(lock);
        assertThat(new ProcessBuilder("mkfifo", lock.toString()).start().waitFor()).isZero();

        assertThatThrownBy(() -> state.lock(java.time.Duration.ofSeconds(1))).isInstanceOf(JournalException.class)
                .hasMessage("refusing the lock file " + lock + ": it is not a regular file (a FIFO, socket or device), not the plain"
                        + " file libvirt-hooks makes; remove it (rm " + lock + ") while no VM starts or stops");
    }

    @Test
    void aSymbolicLinkAtTheLockIsNeverFollowed() throws IOException {
        StateDirectory state = new StateDirectory(tmp.resolve("run"));
        state.lock(java.time.Duration.ofSeconds(1)).close();
        Path lock = tmp.resolve("run/lock");
        Files.delete(lock);
        Path target = tmp.resolve("etc-shadow");
        Files.createSymbolicLink(lock, target);

        assertThatThrownBy(() -> state.lock(java.time.Duration.ofSeconds(1))).isInstanceOf(JournalException.class)
                .hasMessageContaining("it is a symbolic link");
        assertThat(target).doesNotExist();
    }
}
