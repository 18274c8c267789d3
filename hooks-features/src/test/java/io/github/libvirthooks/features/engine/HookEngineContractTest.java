package io.github.libvirthooks.features.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.state.JournalEntry;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.testkit.FakeClock;
import io.github.libvirthooks.testkit.FakeHost;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the engine promises every feature, checked with {@link ScriptedFeature}s: features run in
 * the engine's order, a failure rolls back everything this run did newest first, release
 * undoes in reverse, and an undo that fails stays in the journal for {@code restore} while the
 * other undos still run. (HookEngineTest pins the same engine with the real hugepages feature.)
 */
class HookEngineContractTest {
    private static final String SWAPPINESS = "/proc/sys/vm/swappiness";
    private static final String DIRTY_RATIO = "/proc/sys/vm/dirty_ratio";

    @TempDir
    Path tmp;
    FakeHost fake;
    StateDirectory state;
    final List<String> log = new ArrayList<>();

    @BeforeEach
    void host() {
        fake = FakeHost.at(tmp.resolve("host")).file(SWAPPINESS, "60").file(DIRTY_RATIO, "20").dir("/run/libvirt/qemu");
        state = new StateDirectory(tmp.resolve("state"));
    }

    @Test
    void featuresRunInTheEnginesOrderWhateverOrderTheVmEnablesThemIn() {
        HookEngine engine = engine(feature("a"), feature("b"), feature("c"), feature("d").actsOn(HookOperation.STARTED));
        Map<String, Map<String, String>> enabled = new LinkedHashMap<>();
        for (String name : List.of("c", "d", "a")) {
            enabled.put(name, Map.of());
        }

        HookOutcome outcome = engine.run(event("prepare", "begin"), vm(), enabled, log::add);

        assertThat(outcome.applied()).as("b is not enabled, d does not act on prepare").containsExactly("a", "c");
        assertThat(steps()).containsExactly("apply a", "apply c");
    }

    @Test
    void aFailureRollsBackEveryEarlierFeatureNewestFirstAndLeavesNoJournal() {
        HookEngine engine = engine(feature("a").claims(), feature("b").claims().writes(SWAPPINESS, "10"),
                feature("c").claims().writes(DIRTY_RATIO, "5").failsApply("the host said no"), feature("d"));

        assertThatThrownBy(() -> engine.run(event("prepare", "begin"), vm(), all("a", "b", "c", "d"), log::add))
                .isInstanceOf(HookFailure.class)
                .hasMessage("c: the host said no");

        assertThat(steps()).containsExactly("apply a", "apply b", "apply c",
                "undo   c: " + DIRTY_RATIO + " = 20 (was 5)",
                "undo   c: claim token-c",
                "undo   b: " + SWAPPINESS + " = 60 (was 10)",
                "undo   b: claim token-b",
                "undo   a: claim token-a");
        assertThat(fake.read(SWAPPINESS)).isEqualTo("60");
        assertThat(fake.read(DIRTY_RATIO)).isEqualTo("20");
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void releaseUndoesEveryFeatureInReverseOrder() {
        HookEngine engine = engine(feature("a").claims(), feature("b").writes(SWAPPINESS, "10"), feature("c").claims());
        engine.run(event("prepare", "begin"), vm(), all("a", "b", "c"), log::add);
        log.clear();

        HookOutcome outcome = engine.run(event("release", "end"), vm(), all("a", "b", "c"), log::add);

        assertThat(outcome.warnings()).isEmpty();
        assertThat(steps()).containsExactly("undo   c: claim token-c", "undo   b: " + SWAPPINESS + " = 60 (was 10)",
                "undo   a: claim token-a");
        assertThat(fake.read(SWAPPINESS)).isEqualTo("60");
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void anUndoThatFailsStaysInTheJournalForRestoreWhileTheOthersStillUndo() {
        HookEngine engine = engine(feature("a").claims(), feature("b").claims().failsUndo(1), feature("c").writes(SWAPPINESS, "10"));
        engine.run(event("prepare", "begin"), vm(), all("a", "b", "c"), log::add);
        log.clear();

        HookOutcome release = engine.run(event("release", "end"), vm(), all("a", "b", "c"), log::add);

        assertThat(steps()).containsExactly("undo   c: " + SWAPPINESS + " = 60 (was 10)", "undo   b: claim token-b failed",
                "undo   a: claim token-a");
        assertThat(release.warnings()).containsExactly("b: cannot undo token-b: device busy");
        assertThat(fake.read(SWAPPINESS)).isEqualTo("60");
        assertThat(state.load("win10", "").entries()).extracting(JournalEntry::feature, JournalEntry::key)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("b", "token-b"));
        log.clear();

        HookOutcome restore = engine.restore("win10", log::add);

        assertThat(restore.warnings()).isEmpty();
        assertThat(steps()).containsExactly("undo   b: claim token-b");
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void aRollbackWithAFailingUndoSaysSoKeepsThatClaimAndStillUndoesTheRest() {
        HookEngine engine = engine(feature("a").claims().writes(SWAPPINESS, "10"), feature("b").claims().failsUndo(1),
                feature("c").failsApply("refused"));

        assertThatThrownBy(() -> engine.run(event("prepare", "begin"), vm(), all("a", "b", "c"), log::add))
                .isInstanceOf(HookFailure.class)
                .hasMessage("c: refused (rollback incomplete: b: cannot undo token-b: device busy; run 'libvirt-hooks restore')");

        assertThat(steps()).containsExactly("apply a", "apply b", "apply c", "undo   b: claim token-b failed",
                "undo   a: " + SWAPPINESS + " = 60 (was 10)", "undo   a: claim token-a");
        assertThat(fake.read(SWAPPINESS)).isEqualTo("60");
        assertThat(state.load("win10", "").entries()).extracting(JournalEntry::key).containsExactly("token-b");
        log.clear();

        assertThat(engine.restore("win10", log::add).warnings()).isEmpty();
        assertThat(steps()).containsExactly("undo   b: claim token-b");
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    private ScriptedFeature feature(String name) {
        return new ScriptedFeature(name, log::add);
    }

    private HookEngine engine(Feature... features) {
        return new HookEngine(fake.host(), CommandRunner.system(), state, List.of(features), Duration.ofSeconds(5), new FakeClock());
    }

    /** The applies and undos, in order, without the engine's "change" lines. */
    private List<String> steps() {
        return log.stream().filter(line -> line.startsWith("apply ") || line.startsWith("undo   ")).toList();
    }

    private static Map<String, Map<String, String>> all(String... names) {
        Map<String, Map<String, String>> enabled = new LinkedHashMap<>();
        for (String name : names) {
            enabled.put(name, Map.of());
        }
        return enabled;
    }

    private static HookInvocation event(String op, String sub) {
        return HookInvocation.parse(List.of("qemu", "win10", op, sub, "-"));
    }

    private static Domain vm() {
        String xml = "<domain type='kvm'><name>win10</name><memory unit='MiB'>64</memory></domain>";
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }
}
