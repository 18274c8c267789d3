package io.github.libvirthooks.features.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.state.JournalException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, suite 5: every file the hook writes (journals, the log) is written atomically and
 * readable only by its owner, in a state directory only its owner can enter, because they name
 * VMs. (install and uninstall are tested in hooks-app.)
 */
class StateFilesTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void journalsAndTheLogAreOwnerOnlyInAnOwnerOnlyDirectory() throws IOException {
        Lifecycle life = new Lifecycle(Scenario.documented().get(Scenario.documented().size() - 1), tmp.resolve("modes"));
        life.run(Steps.counting(), "prepare");
        life.hook(Steps.counting(), "started");
        Path state = life.state.path();
        List<String> files = new ArrayList<>();
        assertThat(mode(state)).as("state directory").isEqualTo("rwx------");
        assertThat(mode(life.state.fileFor(Scenario.VM))).as("journal").isEqualTo("rw-------");
        files.add(life.state.fileFor(Scenario.VM).getFileName().toString());
        Path log = life.logDir.resolve("hooks.log");
        assertThat(mode(log)).as("hooks.log").isEqualTo("rw-------");
        files.add("hooks.log");
        String user = System.getProperty("user.name");
        assertThat(Files.getOwner(life.state.fileFor(Scenario.VM)).getName()).isEqualTo(user);
        try (Stream<Path> all = Files.list(state)) {
            assertThat(all.map(p -> p.getFileName().toString()))
                    .as("nothing but the journal and the lock").containsExactlyInAnyOrder(files.get(0), "lock");
        }
        life.stopped(Steps.counting());
        life.hook(Steps.counting(), "release");
        assertThat(Lifecycle.journals(state)).as("release leaves no journal and no temporary file").isEmpty();
        Figures.print("state-files", "files-checked", files.size() + 1, "wrong-modes", 0);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aReaderNeverSeesAHalfWrittenJournal() throws Exception {
        Lifecycle life = new Lifecycle(Scenario.documented().get(Scenario.documented().size() - 1), tmp.resolve("atomic"));
        Path journal = life.state.fileFor(Scenario.VM);
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger reads = new AtomicInteger();
        List<String> torn = new ArrayList<>();
        Thread reader = new Thread(() -> {
            while (!done.get()) {
                try {
                    byte[] bytes = Files.readAllBytes(journal);
                    reads.incrementAndGet();
                    String text = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
                    if (!text.startsWith("libvirt-hooks-journal ") || !text.matches("(?s).*\\nend \\d+\\n")) {
                        torn.add(text);
                    }
                } catch (NoSuchFileException e) {
                    // before the first save or after the last release
                } catch (IOException e) {
                    torn.add(e.toString());
                }
            }
        }, "journal-reader");
        reader.start();
        int cycles = Soak.pick(5, 100);
        for (int i = 0; i < cycles; i++) {
            life.run(Steps.counting(), "prepare");
            life.started(Steps.counting());
            life.stopped(Steps.counting());
            life.hook(Steps.counting(), "release");
        }
        done.set(true);
        reader.join();
        assertThat(torn).isEmpty();
        try {
            life.state.load(Scenario.VM, "");
        } catch (JournalException e) {
            torn.add(e.getMessage());
        }
        Figures.print("atomic-journal", "cycles", cycles, "concurrent-reads", reads.get(), "torn-reads", torn.size());
    }

    @Test
    void anExistingStateDirectoryIsMadeOwnerOnly() throws IOException {
        Lifecycle life = new Lifecycle(Scenario.documented().get(0), tmp.resolve("preexisting"));
        Files.createDirectories(life.state.path());
        Files.setPosixFilePermissions(life.state.path(), PosixFilePermissions.fromString("rwxr-xr-x"));

        life.run(Steps.counting(), "prepare");

        assertThat(mode(life.state.path())).isEqualTo("rwx------");
    }

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }
}
