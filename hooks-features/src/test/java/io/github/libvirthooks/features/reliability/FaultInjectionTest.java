package io.github.libvirthooks.features.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.engine.HookFailure;
import io.github.libvirthooks.features.engine.HookOutcome;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, suite 1: for every documented feature combination, make the N-th host step (write,
 * trigger or command) fail, for every N of a clean run of each event, and check that the host
 * ends exactly as it was. {@code prepare} must abort with one line and leave the tree and the
 * state directory untouched; {@code started} must not abort (libvirt ignores it) and the rest
 * of the life must restore everything; {@code release} must exit 0, still take every other undo
 * step, and a later {@code restore} must finish the job.
 */
class FaultInjectionTest {
    @TempDir
    Path tmp;

    private int runs;
    private int steps;
    private int diffs;
    private int tolerated;
    private final List<String> problems = new ArrayList<>();

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyFailingStepOfEveryEventLeavesTheHostAsItWas() {
        for (Scenario scenario : Scenario.faultInjected()) {
            Clean clean = cleanRun(scenario);
            for (int n = 1; n <= clean.prepare.size(); n++) {
                prepareFails(scenario, n, clean.prepare.get(n - 1));
            }
            for (int n = 1; n <= clean.started.size(); n++) {
                startedFails(scenario, n, clean.started.get(n - 1));
            }
            for (int n = 1; n <= clean.release.size(); n++) {
                releaseFails(scenario, n, clean.release);
            }
        }
        Figures.print("fault-injection", "scenarios", Scenario.faultInjected().size(), "steps", steps, "tolerated", tolerated,
                "diffs", diffs);
        assertThat(problems).isEmpty();
        assertThat(steps).as("steps injected").isGreaterThan(50);
    }

    /** The steps of each event when nothing fails; the clean life itself must restore the host. */
    private Clean cleanRun(Scenario scenario) {
        Lifecycle life = new Lifecycle(scenario, tmp.resolve("clean-" + scenario.name()));
        TreeSnapshot before = TreeSnapshot.of(life.tree);
        Steps prepare = Steps.counting();
        life.run(prepare, "prepare");
        Steps started = Steps.counting();
        life.started(started);
        life.stopped(Steps.counting());
        Steps release = Steps.counting();
        Lifecycle.HookResult result = life.hook(release, "release");
        check(scenario, "clean life", before, life, result.status() == 0 && result.stderr().isEmpty() ? ""
                : "release exited " + result.status() + ": " + result.stderr());
        assertThat(prepare.count() + started.count()).as(scenario.name() + ": steps of a clean start").isPositive();
        return new Clean(prepare.seen(), started.seen(), release.seen());
    }

    private void prepareFails(Scenario scenario, int n, String step) {
        Lifecycle life = fresh(scenario, "prepare", n);
        TreeSnapshot before = TreeSnapshot.of(life.tree);
        steps++;
        String where = "prepare fails at step " + n + " (" + step + ")";
        try {
            life.run(Steps.failingAt(n), "prepare");
            if (!step.startsWith("trigger ")) {
                problems.add(scenario.name() + ": " + where + ": prepare succeeded");
            }
            // Dropping caches or compacting is only a help: the reservation may still succeed. Then the rest of the life must restore.
            tolerated++;
            life.started(Steps.counting());
            life.stopped(Steps.counting());
            life.hook(Steps.counting(), "release");
            check(scenario, where, before, life, "");
            return;
        } catch (HookFailure e) {
            if (!e.abortsVm() || e.getMessage().contains("\n") || e.getMessage().isBlank()) {
                problems.add(scenario.name() + ": " + where + ": not a one-line abort: " + e.getMessage());
            }
        }
        check(scenario, where + ", right after", before, life, "");
        // libvirt still runs stopped and release after a failed prepare: they must change nothing.
        life.run(Steps.counting(), "stopped");
        Lifecycle.HookResult release = life.hook(Steps.counting(), "release");
        check(scenario, where + ", after release", before, life, release.status() == 0 ? "" : "release exited " + release.status());
    }

    private void startedFails(Scenario scenario, int n, String step) {
        Lifecycle life = fresh(scenario, "started", n);
        TreeSnapshot before = TreeSnapshot.of(life.tree);
        steps++;
        String where = "started fails at step " + n + " (" + step + ")";
        life.run(Steps.counting(), "prepare");
        try {
            life.started(Steps.failingAt(n));
            tolerated++;
        } catch (HookFailure e) {
            if (e.abortsVm()) {
                problems.add(scenario.name() + ": " + where + ": started must never abort the VM: " + e.getMessage());
            }
        }
        life.stopped(Steps.counting());
        Lifecycle.HookResult release = life.hook(Steps.counting(), "release");
        check(scenario, where, before, life, release.status() == 0 ? "" : "release exited " + release.status());
    }

    private void releaseFails(Scenario scenario, int n, List<String> cleanRelease) {
        Lifecycle life = fresh(scenario, "release", n);
        TreeSnapshot before = TreeSnapshot.of(life.tree);
        steps++;
        String where = "release fails at step " + n + " (" + cleanRelease.get(n - 1) + ")";
        life.run(Steps.counting(), "prepare");
        life.started(Steps.counting());
        life.stopped(Steps.counting());
        Steps faulty = Steps.failingAt(n);
        Lifecycle.HookResult result = life.hook(faulty, "release");
        if (result.status() != 0) {
            problems.add(scenario.name() + ": " + where + ": release exited " + result.status());
        }
        // Every later step of the clean release must still be taken, but those on the failed step's own
        // target (a set-property after its failed show) which cannot run without it.
        String failedTarget = target(cleanRelease.get(n - 1));
        List<String> skipped = cleanRelease.subList(n, cleanRelease.size()).stream()
                .filter(s -> !target(s).equals(failedTarget) && !faulty.seen().contains(s)).toList();
        if (!skipped.isEmpty()) {
            problems.add(scenario.name() + ": " + where + ": did not take the other undo steps " + skipped + "; took "
                    + faulty.seen());
        }
        HookOutcome restored = life.restore(Steps.counting());
        if (!restored.warnings().isEmpty()) {
            problems.add(scenario.name() + ": " + where + ": restore warned " + restored.warnings());
        }
        check(scenario, where + ", then restore", before, life, "");
    }

    /** What a step acts on: the file, or the unit or thread a command names. */
    static String target(String step) {
        String[] words = step.split(" ");
        if (words[0].equals("command") && words[1].equals("systemctl") && words[2].equals("show")) {
            return words[6];
        }
        if (words[0].equals("command") && words[1].equals("systemctl") && words[2].equals("set-property")) {
            return words[4];
        }
        return words[0].equals("command") ? words[words.length - 1] : words[1];
    }

    private Lifecycle fresh(Scenario scenario, String event, int n) {
        runs++;
        return new Lifecycle(scenario, tmp.resolve(scenario.name() + "-" + event + "-" + n + "-" + runs));
    }

    private void check(Scenario scenario, String where, TreeSnapshot before, Lifecycle life, String problem) {
        List<String> diff = TreeSnapshot.of(life.tree).diff(before);
        if (!diff.isEmpty()) {
            diffs++;
            problems.add(scenario.name() + ": " + where + ": host differs: " + diff);
        }
        if (!life.journals().isEmpty()) {
            problems.add(scenario.name() + ": " + where + ": state left behind: " + life.journals());
        }
        if (!problem.isEmpty()) {
            problems.add(scenario.name() + ": " + where + ": " + problem);
        }
        if (!life.commands.unexpected().isEmpty()) {
            problems.add(scenario.name() + ": " + where + ": unexpected commands " + life.commands.unexpected());
        }
    }

    private record Clean(List<String> prepare, List<String> started, List<String> release) {
    }
}
