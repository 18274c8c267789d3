package io.github.libvirthooks.features.nosleep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.Feature;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookFailure;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOutcome;
import io.github.libvirthooks.features.state.Damage;
import io.github.libvirthooks.features.state.JournalEntry;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.HostRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NosleepFeatureTest {
    @TempDir
    Path tmp;
    Path root;
    StateDirectory state;
    FakeSystemd systemd;
    List<String> lines;

    @BeforeEach
    void host() throws IOException {
        root = Files.createDirectories(tmp.resolve("host"));
        Files.createDirectories(root.resolve("run/systemd/system"));
        state = new StateDirectory(tmp.resolve("state"));
        systemd = new FakeSystemd();
        lines = new ArrayList<>();
    }

    @Test
    void prepareHoldsAnInhibitorNamingTheVmAndReleaseLetsItGo() {
        Domain vm = vm("win10", "<nosleep/>");

        prepare(vm);

        String unit = "libvirt-hooks-nosleep-win10.service";
        assertThat(systemd.units).containsOnlyKeys(unit);
        assertThat(systemd.inhibitors()).containsExactly("libvirt-hooks | VM win10 is running | sleep | block");
        assertThat(systemd.ran.get(0)).containsExactly("systemd-run", "--quiet", "--collect", "--unit=" + unit,
                "--description=libvirt-hooks: VM win10 keeps the host awake", "--property=Type=exec", "--",
                "systemd-inhibit", "--what=sleep", "--mode=block", "--who=libvirt-hooks", "--why=VM win10 is running",
                "sleep", "infinity");
        assertThat(state.load("win10", "").entries())
                .containsExactly(JournalEntry.claim("nosleep", unit, Map.of("what", "sleep")));
        assertThat(lines).contains("claim  nosleep: " + unit + " holds a sleep inhibitor while win10 runs");

        release(vm);

        assertThat(systemd.units).isEmpty();
        assertThat(systemd.ran.get(systemd.ran.size() - 1)).containsExactly("systemctl", "stop", unit);
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void anotherVmsDamagedJournalDoesNotBlockIt() {
        Damage.truncatedJournal(state, "other");
        Domain vm = vm("win10", "<nosleep/>");

        prepare(vm);
        assertThat(systemd.inhibitors()).containsExactly("libvirt-hooks | VM win10 is running | sleep | block");

        release(vm);
        assertThat(systemd.units).isEmpty();
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void theUnitNameIsTheSystemdEscapedVmName() {
        Domain vm = vm("my vm-1.é", "<nosleep what='sleep:handle-lid-switch'/>");

        prepare(vm);

        assertThat(systemd.units).containsOnlyKeys("libvirt-hooks-nosleep-my\\x20vm\\x2d1.\\xc3\\xa9.service");
        assertThat(systemd.inhibitors()).containsExactly("libvirt-hooks | VM my vm-1.é is running | sleep:handle-lid-switch | block");
    }

    @Test
    void aVeryLongNameStillGivesAValidUnitName() {
        String name = "x".repeat(300);
        String unit = SleepInhibitor.unitName(name);
        assertThat(unit).hasSizeLessThanOrEqualTo(255).startsWith("libvirt-hooks-nosleep-xxx").endsWith(".service");
        assertThat(SleepInhibitor.unitName(name + "y")).isNotEqualTo(unit);
        String escapes = SleepInhibitor.unitName("é".repeat(100));
        assertThat(escapes).hasSizeLessThanOrEqualTo(255).doesNotContain("\\x-").doesNotContain("\\xc-");
    }

    @Test
    void releaseAfterTheUnitDiedOrWasStoppedByHandIsFine() {
        Domain vm = vm("win10", "<nosleep/>");
        prepare(vm);
        systemd.units.clear();

        release(vm);

        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void aFailedStartAbortsPrepareAndLeavesNothingBehind() {
        systemd.refuseStart = true;
        Domain vm = vm("win10", "<nosleep/>");

        assertThatThrownBy(() -> prepare(vm)).isInstanceOf(HookFailure.class)
                .hasMessageContaining("nosleep: cannot start libvirt-hooks-nosleep-win10.service (systemd-run exited with status 1:"
                        + " Failed to start transient service unit: Access denied)")
                .hasMessageContaining("turn nosleep off for this VM");
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void anInhibitorLeftActiveByACrashedRunIsAdoptedAndStillReleased() {
        String unit = "libvirt-hooks-nosleep-win10.service";
        systemd.units.put(unit, List.of("systemd-inhibit", "--what=sleep"));
        Domain vm = vm("win10", "<nosleep/>");

        prepare(vm);
        assertThat(systemd.units).containsOnlyKeys(unit);

        release(vm);
        assertThat(systemd.units).isEmpty();
    }

    @Test
    void aFailedUnitOfTheSameNameIsResetAndStartedAgain() {
        String unit = "libvirt-hooks-nosleep-win10.service";
        systemd.failed.add(unit);

        prepare(vm("win10", "<nosleep/>"));

        assertThat(systemd.ran).contains(List.of("systemctl", "reset-failed", unit));
        assertThat(systemd.units).containsOnlyKeys(unit);
    }

    @Test
    void withoutSystemdItRefusesTheStartAndChangesNothing() throws IOException {
        Files.delete(root.resolve("run/systemd/system"));
        Domain vm = vm("win10", "<nosleep/>");

        assertThatThrownBy(() -> prepare(vm)).isInstanceOf(HookFailure.class)
                .hasMessageContaining("nosleep: systemd is not the init system (no /run/systemd/system), and nosleep needs it for"
                        + " logind's sleep inhibitor; remove <nosleep/> from win10's hooks");

        assertThat(systemd.ran).isEmpty();
        assertThat(state.fileFor("win10")).doesNotExist();
        assertThat(engine().plan(io.github.libvirthooks.features.engine.HookRequest.of(event("win10", "prepare"), vm), vm.hooksConfig()))
                .singleElement().satisfies(p -> assertThat(p.refused()).get().asString()
                        .contains("nosleep: systemd is not the init system"));
    }

    @Test
    void restoreStopsTheUnitAfterACrash() {
        prepare(vm("win10", "<nosleep/>"));

        HookOutcome outcome = engine().restore("win10", lines::add);

        assertThat(outcome.warnings()).isEmpty();
        assertThat(systemd.units).isEmpty();
    }

    @Test
    void badOptionsAreRefusedBeforeAnythingStarts() {
        assertThatThrownBy(() -> prepare(vm("win10", "<nosleep what='nap'/>"))).isInstanceOf(HookFailure.class)
                .hasMessageContaining("invalid nosleep what 'nap': a colon-separated list of");
        assertThatThrownBy(() -> prepare(vm("win10", "<nosleep who='me'/>"))).isInstanceOf(HookFailure.class)
                .hasMessageContaining("unknown option 'who' for nosleep; it takes: what");
        assertThat(systemd.ran).isEmpty();
    }

    @Test
    void planSaysWhichUnitWillHoldItAndStartsNothing() {
        Domain vm = vm("win10", "<nosleep/>");
        var plan = engine().plan(io.github.libvirthooks.features.engine.HookRequest.of(event("win10", "prepare"), vm), vm.hooksConfig())
                .get(0);
        assertThat(plan.commands()).singleElement().satisfies(argv -> assertThat(argv).contains(
                "--unit=libvirt-hooks-nosleep-win10.service", "systemd-inhibit", "--what=sleep", "--mode=block"));
        assertThat(systemd.ran).isEmpty();
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    private void prepare(Domain vm) {
        engine().run(event(vm.name(), "prepare"), vm, vm.hooksConfig(), lines::add);
    }

    private void release(Domain vm) {
        HookOutcome outcome = engine().run(event(vm.name(), "release"), vm, Map.of(), lines::add);
        assertThat(outcome.warnings()).isEmpty();
    }

    private HookEngine engine() {
        List<Feature> features = List.of(new NosleepFeature());
        return new HookEngine(HostRoot.at(root), systemd, state, features, Duration.ofSeconds(5), Clock.systemUTC());
    }

    private io.github.libvirthooks.features.engine.FeatureContext context(Domain vm) {
        return new io.github.libvirthooks.features.engine.FeatureContext(event(vm.name(), "prepare"), vm, vm.hooksConfig().get("nosleep"),
                HostRoot.at(root), HostRoot.at(root), systemd, List.of(), null, lines::add);
    }

    static HookInvocation event(String vm, String op) {
        return HookInvocation.parse(List.of("qemu", vm, op, op.equals("release") ? "end" : "begin", "-"));
    }

    static Domain vm(String name, String hooks) {
        String xml = "<domain type='kvm'><name>" + name + "</name><memory unit='MiB'>64</memory>"
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'>" + hooks + "</hooks></metadata></domain>";
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }
}
