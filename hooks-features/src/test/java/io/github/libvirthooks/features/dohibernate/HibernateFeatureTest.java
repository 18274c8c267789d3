package io.github.libvirthooks.features.dohibernate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.dosleep.DosleepFeature;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookFailure;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOutcome;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.HostRoot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dosleep, dohibernate and beforeoff-dohibernate at prepare: checks and words only, nothing on the host. */
class HibernateFeatureTest {
    private static final String AGENT = "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>";

    @TempDir
    Path tmp;
    List<String> lines;
    List<List<String>> commands;
    StateDirectory state;

    @BeforeEach
    void setUp() throws Exception {
        lines = new ArrayList<>();
        commands = new ArrayList<>();
        state = new StateDirectory(tmp.resolve("state"));
        Files.createDirectories(tmp.resolve("host/run/systemd/system"));
    }

    @Test
    void withoutSystemdEachRefusesTheStartNamingTheUnitItNeeds() throws Exception {
        Files.delete(tmp.resolve("host/run/systemd/system"));
        assertThatThrownBy(() -> prepare(vm("a", "<dosleep/>", AGENT))).isInstanceOf(HookFailure.class)
                .hasMessageContaining("dosleep: systemd is not the init system (no /run/systemd/system), and dosleep needs it for"
                        + " libvirt-hooks-sleep.service, which sleep.target starts before the host sleeps; remove <dosleep/> from a's hooks");
        assertThatThrownBy(() -> prepare(vm("b", "<dohibernate/>", AGENT))).isInstanceOf(HookFailure.class)
                .hasMessageContaining("dohibernate: systemd is not the init system").hasMessageContaining("libvirt-hooks-sleep.service");
        assertThatThrownBy(() -> prepare(vm("c", "<beforeoff-dohibernate/>", AGENT))).isInstanceOf(HookFailure.class)
                .hasMessageContaining("beforeoff-dohibernate: systemd is not the init system")
                .hasMessageContaining("libvirt-hooks-shutdown.service");
        assertThat(commands).isEmpty();
        assertThat(state.fileFor("a")).doesNotExist();
        assertThat(lines).noneMatch(l -> l.startsWith("info"));
    }

    @Test
    void withoutSystemdTriggerManualStartsBecauseTheUserRunsTheHostPowerCommandsAndAnyOtherTriggerIsRefused() throws Exception {
        Files.delete(tmp.resolve("host/run/systemd/system"));
        HookOutcome manual = prepare(vm("a", "<dosleep trigger='manual'/>", AGENT));
        assertThat(manual.applied()).containsExactly("dosleep");
        assertThat(prepare(vm("b", "<dohibernate trigger='manual'/><beforeoff-dohibernate trigger='manual'/>", AGENT)).applied())
                .containsExactly("dohibernate", "beforeoff-dohibernate");
        assertThatThrownBy(() -> prepare(vm("c", "<dosleep trigger='cron'/>", AGENT))).isInstanceOf(HookFailure.class)
                .hasMessageContaining("dosleep: trigger='cron' is neither systemd nor manual");
        assertThat(commands).isEmpty();
    }

    @Test
    void prepareOnlyTellsWhatWillHappenAndChangesNothing() {
        HookOutcome outcome = prepare(vm("win10", "<dohibernate restart-after-resume='true'/><beforeoff-dohibernate fallback='none'/>", AGENT));

        assertThat(outcome.applied()).containsExactly("dohibernate", "beforeoff-dohibernate");
        assertThat(lines).containsExactly(
                "info   dohibernate: at host sleep the guest agent hibernates win10 (needs <pm><suspend-to-disk enabled='yes'/>),"
                        + " waited for up to 120 s; else fallback shutdown; started again after the host resumes",
                "info   beforeoff-dohibernate: at host power-off or reboot the guest agent hibernates win10 (needs <pm><suspend-to-disk"
                        + " enabled='yes'/>), waited for up to 120 s; else fallback none");
        assertThat(commands).isEmpty();
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void withoutAnAgentChannelItWarnsThatTheFallbackWillBeUsed() {
        prepare(vm("xp", "<dohibernate/>", ""));
        assertThat(lines).contains("warn   dohibernate: xp has no guest agent channel (org.qemu.guest_agent.0), so it cannot hibernate:"
                + " fallback shutdown will be used");
    }

    @Test
    void managedSaveAsFallbackForAVmWithPassedThroughDevicesStopsTheStart() {
        assertThatThrownBy(() -> prepare(vm("gpu", "<beforeoff-dohibernate fallback='managedsave'/>",
                AGENT + "<hostdev mode='subsystem' type='pci' managed='yes'/>")))
                .isInstanceOf(HookFailure.class)
                .hasMessageContaining("fallback=managedsave cannot work for gpu: the domain passes through host devices")
                .hasMessageContaining("use fallback=shutdown or fallback=none");
    }

    @Test
    void badOptionsAreRefusedWithWhatIsAllowed() {
        assertThatThrownBy(() -> prepare(vm("a", "<dohibernate fallback='suspend'/>", AGENT))).isInstanceOf(HookFailure.class)
                .hasMessageContaining("invalid dohibernate fallback 'suspend': expected one of managedsave, shutdown, none");
        assertThatThrownBy(() -> prepare(vm("b", "<dohibernate timeout='soon'/>", AGENT))).isInstanceOf(HookFailure.class)
                .hasMessageContaining("invalid dohibernate timeout 'soon': a duration from 1ms to 30m, such as 30s, 500ms, 2m or PT30S");
        assertThatThrownBy(() -> prepare(vm("c", "<dosleep mode='deep'/>", AGENT))).isInstanceOf(HookFailure.class)
                .hasMessageContaining("invalid dosleep mode 'deep': expected one of auto, pause");
        assertThatThrownBy(() -> prepare(vm("d", "<dosleep timeout='0s'/>", AGENT))).isInstanceOf(HookFailure.class)
                .hasMessageContaining("invalid dosleep timeout '0s': a duration from 1ms to 10m");
    }

    @Test
    void dosleepAndDohibernateExcludeEachOther() {
        assertThatThrownBy(() -> prepare(vm("both", "<dosleep/><dohibernate/>", AGENT))).isInstanceOf(HookFailure.class)
                .hasMessageContaining("enables both dosleep and dohibernate");
        lines.clear();
        prepare(vm("one", "<dosleep/><dohibernate enabled='false'/>", AGENT));
        assertThat(lines).singleElement().asString().startsWith("info   dosleep: at host sleep the guest agent suspends one to RAM");
    }

    @Test
    void dosleepSaysPauseWhenItWillPause() {
        prepare(vm("xp", "<dosleep/>", ""));
        prepare(vm("win", "<dosleep mode='pause'/>", AGENT));
        assertThat(lines).containsExactly(
                "info   dosleep: at host sleep xp is paused (no guest agent channel for suspend-to-RAM), resumed after the host wakes",
                "info   dosleep: at host sleep win is paused (mode=pause), resumed after the host wakes");
    }

    private HookOutcome prepare(Domain vm) {
        var enabled = new java.util.LinkedHashMap<>(vm.hooksConfig());
        enabled.values().removeIf(o -> "false".equals(o.get("enabled")));
        return engine().run(HookInvocation.parse(List.of("qemu", vm.name(), "prepare", "begin", "-")), vm, enabled, lines::add);
    }

    private HookEngine engine() {
        return new HookEngine(HostRoot.at(tmp.resolve("host")), (argv, timeout) -> {
            commands.add(argv);
            throw new AssertionError("no command expected: " + argv);
        }, state, List.of(new DosleepFeature(), HibernateFeature.atHostSleep(), HibernateFeature.beforeHostShutdown()),
                Duration.ofSeconds(5), Clock.systemUTC());
    }

    static Domain vm(String name, String hooks, String devices) {
        String xml = "<domain type='kvm'><name>" + name + "</name><memory unit='MiB'>64</memory>"
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'>" + hooks + "</hooks></metadata><devices>" + devices + "</devices></domain>";
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }
}
