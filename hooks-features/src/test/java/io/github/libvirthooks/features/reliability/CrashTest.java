package io.github.libvirthooks.features.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.engine.HookFailure;
import io.github.libvirthooks.features.state.DamagedJournal;
import io.github.libvirthooks.features.state.JournalException;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.features.state.VmJournal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, suite 2: the hook process dies before or after its N-th host step, for every N of
 * every event of every documented combination; the next hook event (or {@code restore}) with a
 * fresh engine must bring the host back exactly, and the journal must be readable at every
 * crash point. Then the journal itself torn at every byte, and real processes killed with
 * {@code Runtime.halt}.
 */
class CrashTest {
    @TempDir
    Path tmp;

    private int crashPoints;
    private int recoveries;
    private int diffs;
    private int unreadable;
    private int runs;
    private final List<String> problems = new ArrayList<>();

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aHookKilledAtAnyStepIsUndoneByTheNextEventOrRestore() {
        for (Scenario scenario : Scenario.crashed()) {
            Lifecycle probe = new Lifecycle(scenario, tmp.resolve("clean-" + scenario.name()));
            Steps prepare = Steps.counting();
            probe.run(prepare, "prepare");
            Steps started = Steps.counting();
            probe.started(started);
            probe.stopped(Steps.counting());
            Steps release = Steps.counting();
            probe.hook(release, "release");
            // Every step is a crash point; a normal build kills the run either before or after it (alternating) and
            // recovers one way, soak mode tries both sides and both recoveries.
            for (int n = 1; n <= prepare.count(); n++) {
                for (boolean after : sides(n)) {
                    boolean byRestore = (n / 2) % 2 == 0;
                    crashInPrepare(scenario, n, after, byRestore);
                    if (Soak.enabled()) {
                        crashInPrepare(scenario, n, after, !byRestore);
                    }
                }
            }
            for (int n = 1; n <= started.count(); n++) {
                for (boolean after : sides(n)) {
                    crashInStarted(scenario, n, after);
                }
            }
            for (int n = 1; n <= release.count(); n++) {
                for (boolean after : sides(n)) {
                    crashInRelease(scenario, n, after);
                }
            }
        }
        Figures.print("crash", "crash-points", crashPoints, "recoveries", recoveries, "unreadable-journals", unreadable,
                "diffs", diffs);
        assertThat(problems).isEmpty();
        assertThat(recoveries).isEqualTo(crashPoints);
    }

    private static boolean[] sides(int n) {
        return Soak.enabled() ? new boolean[] {false, true} : new boolean[] {n % 2 == 0};
    }

    private void crashInPrepare(Scenario scenario, int n, boolean after, boolean byRestore) {
        Lifecycle life = fresh(scenario);
        TreeSnapshot before = TreeSnapshot.of(life.tree);
        String where = "killed " + (after ? "after" : "before") + " step " + n + " of prepare";
        crash(() -> life.run(after ? Steps.crashingAfter(n) : Steps.crashingBefore(n), "prepare"), where, scenario);
        journalReadable(life, scenario, where);
        if (byRestore) {
            life.restore(Steps.counting());
            where += ", then restore";
        } else {
            // libvirt sees the hook die, aborts the start, and runs stopped and release.
            life.run(Steps.counting(), "stopped");
            int status = life.hook(Steps.counting(), "release").status();
            if (status != 0) {
                problems.add(scenario.name() + ": " + where + ": release exited " + status);
            }
            where += ", then release";
        }
        recovered(scenario, where, before, life);
    }

    private void crashInStarted(Scenario scenario, int n, boolean after) {
        Lifecycle life = fresh(scenario);
        TreeSnapshot before = TreeSnapshot.of(life.tree);
        String where = "killed " + (after ? "after" : "before") + " step " + n + " of started";
        life.run(Steps.counting(), "prepare");
        crash(() -> life.started(after ? Steps.crashingAfter(n) : Steps.crashingBefore(n)), where, scenario);
        journalReadable(life, scenario, where);
        life.stopped(Steps.counting());
        life.hook(Steps.counting(), "release");
        recovered(scenario, where + ", then stopped and release", before, life);
    }

    private void crashInRelease(Scenario scenario, int n, boolean after) {
        Lifecycle life = fresh(scenario);
        TreeSnapshot before = TreeSnapshot.of(life.tree);
        String where = "killed " + (after ? "after" : "before") + " step " + n + " of release";
        life.run(Steps.counting(), "prepare");
        life.started(Steps.counting());
        life.stopped(Steps.counting());
        crash(() -> life.hook(after ? Steps.crashingAfter(n) : Steps.crashingBefore(n), "release"), where, scenario);
        journalReadable(life, scenario, where);
        life.restore(Steps.counting());
        recovered(scenario, where + ", then restore", before, life);
    }

    private void crash(Runnable run, String where, Scenario scenario) {
        crashPoints++;
        try {
            run.run();
            problems.add(scenario.name() + ": " + where + ": the run did not reach its crash point");
        } catch (Steps.Crash expected) {
            // The process is dead here.
        } catch (HookFailure e) {
            problems.add(scenario.name() + ": " + where + ": failed before its crash point: " + e.getMessage());
        }
    }

    private void journalReadable(Lifecycle life, Scenario scenario, String where) {
        List<Object> damaged = new ArrayList<>();
        try {
            life.state.load(Scenario.VM, "");
            List<DamagedJournal> unreadable = new ArrayList<>();
            life.state.loadAll(unreadable);
            damaged.addAll(unreadable);
        } catch (JournalException e) {
            damaged.add(e.getMessage());
        }
        if (!damaged.isEmpty()) {
            unreadable++;
            problems.add(scenario.name() + ": " + where + ": journal unreadable: " + damaged);
        }
    }

    private void recovered(Scenario scenario, String where, TreeSnapshot before, Lifecycle life) {
        List<String> diff = TreeSnapshot.of(life.tree).diff(before);
        if (diff.isEmpty() && life.journals().isEmpty()) {
            recoveries++;
            return;
        }
        diffs++;
        problems.add(scenario.name() + ": " + where + ": host differs " + diff + ", state " + life.journals());
    }

    private Lifecycle fresh(Scenario scenario) {
        runs++;
        return new Lifecycle(scenario, tmp.resolve(scenario.name() + "-" + runs));
    }

    // --- the journal file itself -----------------------------------------------------------------

    @Test
    void aJournalTruncatedAtAnyByteIsReportedNeverMisread() throws IOException {
        Scenario scenario = Scenario.documented().get(Scenario.documented().size() - 1);
        Lifecycle life = new Lifecycle(scenario, tmp.resolve("torn"));
        TreeSnapshot before = TreeSnapshot.of(life.tree);
        life.run(Steps.counting(), "prepare");
        life.started(Steps.counting());
        Path file = life.state.fileFor(Scenario.VM);
        byte[] whole = Files.readAllBytes(file);
        VmJournal original = life.state.load(Scenario.VM, "");
        TreeSnapshot running = TreeSnapshot.of(life.tree);
        int reported = 0;
        int same = 0;
        int hooked = 0;
        for (int length = 0; length < whole.length; length++) {
            Files.write(file, Arrays.copyOf(whole, length));
            try {
                VmJournal read = life.state.load(Scenario.VM, "");
                assertThat(read).as("journal cut to %d of %d bytes", length, whole.length).isEqualTo(original);
                same++;
            } catch (JournalException e) {
                assertThat(e.getMessage()).as("cut to %d bytes", length).doesNotContain("\n").isNotBlank();
                assertThat(e.getMessage()).as("cut to %d bytes", length).contains(file.getFileName().toString());
                reported++;
            }
            if (!Soak.enabled() && length % 16 != 0 && whole[length] != '\n' && whole[Math.max(0, length - 1)] != '\n') {
                continue;
            }
            hooked++;
            List<DamagedJournal> damaged = new ArrayList<>();
            life.state.loadAll(damaged);
            // A damaged journal must never make the hook throw or touch the host: release reports it and exits 0.
            Lifecycle.HookResult release = life.hook(Steps.counting(), "release");
            assertThat(release.status()).as("release with a journal cut to %d bytes", length).isZero();
            if (!damaged.isEmpty()) {
                assertThat(release.stderr()).contains("libvirt-hooks: ");
                assertThat(TreeSnapshot.of(life.tree).diff(running)).as("cut to %d bytes", length).isEmpty();
            }
        }
        // Only the final newline may go without changing the meaning.
        assertThat(same).isLessThanOrEqualTo(1);
        Files.write(file, whole);
        life.stopped(Steps.counting());
        life.hook(Steps.counting(), "release");
        assertThat(TreeSnapshot.of(life.tree).diff(before)).isEmpty();
        Figures.print("torn-journal", "cuts", whole.length, "reported", reported, "read-whole", same, "misread", 0,
                "releases-run", hooked);
    }

    @Test
    void aStrayTemporaryJournalIsIgnoredAndReplaced() throws IOException {
        Scenario scenario = Scenario.documented().get(0);
        Lifecycle life = new Lifecycle(scenario, tmp.resolve("stray"));
        TreeSnapshot before = TreeSnapshot.of(life.tree);
        Files.createDirectories(life.state.path());
        Path stray = life.state.path().resolve(life.state.fileFor(Scenario.VM).getFileName() + ".tmp");
        Files.writeString(stray, "libvirt-hooks-journal 1\nvm win10 uuid % upd", StandardCharsets.UTF_8);
        Path otherStray = life.state.path().resolve(new StateDirectory(life.state.path()).fileFor("other").getFileName() + ".tmp");
        Files.writeString(otherStray, "garbage", StandardCharsets.UTF_8);

        assertThat(life.state.load(Scenario.VM, "").isEmpty()).isTrue();
        List<DamagedJournal> damaged = new ArrayList<>();
        assertThat(life.state.loadAll(damaged)).isEmpty();
        assertThat(damaged).isEmpty();

        life.run(Steps.counting(), "prepare");
        assertThat(stray).as("the next save of this VM's journal replaces it").doesNotExist();
        life.hook(Steps.counting(), "release");
        assertThat(TreeSnapshot.of(life.tree).diff(before)).isEmpty();
        assertThat(Lifecycle.journals(life.state.path())).containsExactly(otherStray.getFileName().toString());
    }

    // --- real processes --------------------------------------------------------------------------

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void aHookProcessHaltedAtAnyStepIsUndoneByTheNextProcess() throws Exception {
        List<String> names = Soak.enabled() ? List.of("isolcpu-cgroup-all-knobs", "isolcpu-systemd")
                : List.of("isolcpu-cgroup-all-knobs");
        int killed = 0;
        int recovered = 0;
        for (String name : names) {
            Scenario scenario = Scenario.documented().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
            Lifecycle probe = new Lifecycle(scenario, tmp.resolve("proc-probe-" + name));
            Steps steps = Steps.counting();
            probe.run(steps, "prepare");
            int count = steps.count();
            for (int n = 1; n <= count; n++) {
                if (!Soak.enabled() && n % 4 != 1 && n != count) {
                    continue;
                }
                Lifecycle life = new Lifecycle(scenario, tmp.resolve("proc-" + name + "-" + n));
                TreeSnapshot before = TreeSnapshot.of(life.tree);
                Path xml = tmp.resolve("proc-" + name + "-" + n + ".xml");
                Files.writeString(xml, life.xml, StandardCharsets.UTF_8);
                int status = child(life, n, xml, "prepare");
                assertThat(status).as("%s: the hook process killed after step %d", name, n).isEqualTo(CrashingHookMain.KILLED);
                killed++;
                journalReadable(life, scenario, "process killed after step " + n);
                // The next hook event is another process too.
                assertThat(child(life, Integer.MAX_VALUE, xml, "release")).isZero();
                assertThat(TreeSnapshot.of(life.tree).diff(before)).as("%s: killed after step %d, then release", name, n).isEmpty();
                assertThat(life.journals()).isEmpty();
                recovered++;
            }
        }
        assertThat(problems).isEmpty();
        Figures.print("crash-process", "killed", killed, "recoveries", recovered, "diffs", 0);
    }

    private static int child(Lifecycle life, int crashAfter, Path xml, String operation) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), CrashingHookMain.class.getName(), life.tree.root().toString(),
                life.state.path().toString(), Integer.toString(crashAfter), xml.toString(), "qemu", Scenario.VM, operation,
                Lifecycle.subOperation(operation), "-");
        builder.redirectErrorStream(true);
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("hook process for " + operation + " did not end within 60 s");
        }
        int status = process.exitValue();
        if (status != 0 && status != CrashingHookMain.KILLED) {
            throw new AssertionError("hook process exited " + status + ": " + new String(output, StandardCharsets.UTF_8));
        }
        return status;
    }
}
