package io.github.libvirthooks.features.ddcutil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookFailure;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOutcome;
import io.github.libvirthooks.features.state.JournalEntry;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The feature against a stand-in ddcutil on a test PATH, run through the real process runner. */
@Timeout(60)
class DdcutilFeatureTest {
    @TempDir
    Path tmp;
    StandInDdcutil ddcutil;
    StateDirectory state;
    HostRoot host;
    List<String> lines;

    @BeforeEach
    void setUp() throws IOException {
        ddcutil = new StandInDdcutil(tmp.resolve("ddcutil"));
        state = new StateDirectory(tmp.resolve("state"));
        host = HostRoot.at(Files.createDirectories(tmp.resolve("host")));
        lines = new ArrayList<>();
    }

    @Test
    void startedReadsThenSwitchesToTheVmsInputAndReleaseSwitchesBack() throws IOException {
        Domain vm = vm("win10", "<ddcutil bus='4' vm-input='hdmi1'/>");

        run(vm, "prepare");
        assertThat(ddcutil.calls()).as("prepare only checks the options").isEmpty();
        run(vm, "started");

        assertThat(ddcutil.input()).isEqualTo("11");
        String exe = ddcutil.bin.resolve("ddcutil").toString();
        assertThat(ddcutil.calls()).containsExactly(
                List.of("--bus=4", "getvcp", "60", "--brief"),
                List.of("--bus=4", "--noverify", "setvcp", "60", "0x11"));
        assertThat(lines).contains("change ddcutil: --bus=4 input = 0x11 (hdmi1) (was 0x0f (dp1))");
        JournalEntry claim = claim("win10");
        assertThat(claim.values()).containsEntry("host-input", "0x0f").containsEntry("vm-input", "0x11")
                .containsEntry("switched", "yes").containsEntry("bus", "4");
        assertThat(exe).startsWith(tmp.toString());

        release(vm);

        assertThat(ddcutil.input()).isEqualTo("0f");
        assertThat(ddcutil.calls().get(2)).containsExactly("--bus=4", "--noverify", "setvcp", "60", "0x0f");
        assertThat(lines).contains("undo   ddcutil: --bus=4 input = 0x0f (dp1)");
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void anExplicitHostInputWinsOverTheInputShownBefore() throws IOException {
        ddcutil.showing("03");
        Domain vm = vm("win10", "<ddcutil display='2' vm-input='0x1b' host-input='dp2' verify='true' sleep-multiplier='1.5'/>");
        run(vm, "started");
        assertThat(ddcutil.calls()).containsExactly(
                List.of("--display=2", "--sleep-multiplier=1.5", "getvcp", "60", "--brief"),
                List.of("--display=2", "--sleep-multiplier=1.5", "setvcp", "60", "0x1b"));
        release(vm);
        assertThat(ddcutil.input()).isEqualTo("10");
    }

    @Test
    void theMonitorChosenByEdidIsPassedAsSingleArguments() throws IOException {
        Domain vm = vm("win10", "<ddcutil mfg='DEL' model='DELL U3011' serial='PH0-12 34' vm-input='HDMI-2'/>");
        run(vm, "started");
        assertThat(ddcutil.calls().get(0)).containsExactly("--mfg=DEL", "--model=DELL U3011", "--sn=PH0-12 34", "getvcp", "60", "--brief");
        assertThat(ddcutil.input()).isEqualTo("12");
    }

    @Test
    void aMonitorAlreadyOnTheVmsInputIsNotSwitchedAndReleaseLeavesIt() throws IOException {
        ddcutil.showing("11");
        Domain vm = vm("win10", "<ddcutil vm-input='hdmi1'/>");
        run(vm, "started");
        assertThat(ddcutil.calls()).hasSize(1);
        assertThat(lines).contains("info   ddcutil: the first display already shows input 0x11 (hdmi1)");
        release(vm);
        assertThat(ddcutil.calls()).hasSize(1);
        assertThat(lines).anyMatch(l -> l.startsWith("skip   ddcutil: no input to switch back to"));
    }

    @Test
    void noMonitorIsAWarningInTheLogAndTheClaimNeverAFailedStart() throws IOException {
        ddcutil.mode("no-monitor");
        Domain vm = vm("win10", "<ddcutil vm-input='hdmi1' host-input='dp1'/>");

        HookOutcome started = run(vm, "started");

        assertThat(started.applied()).contains("ddcutil");
        assertThat(lines).anyMatch(l -> l.startsWith("warn   ddcutil: cannot read the input of the first display: ddcutil exited with status 1:"
                + " No /dev/i2c devices exist. ddcutil requires module i2c-dev. (load the i2c-dev module"));
        JournalEntry claim = claim("win10");
        assertThat(claim.values()).containsEntry("switched", "no").doesNotContainKey("host-input");
        assertThat(claim.values().get("warning")).contains("switching anyway failed too");
        assertThat(ddcutil.calls()).as("read, then one try to switch").hasSize(2);

        release(vm);
        assertThat(ddcutil.calls()).as("nothing was switched: nothing to switch back").hasSize(2);
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void aMonitorThatRefusesTheSwitchIsAWarning() throws IOException {
        ddcutil.mode("refuse-set");
        Domain vm = vm("win10", "<ddcutil vm-input='hdmi1'/>");
        run(vm, "started");
        assertThat(lines).anyMatch(l -> l.startsWith("warn   ddcutil: cannot switch the input of the first display: ddcutil exited with status 1:"
                + " Setting value failed. rc=-3001; win10 runs"));
        assertThat(ddcutil.input()).isEqualTo("0f");
    }

    @Test
    void anUnreadableInputStillSwitchesAndReleaseUsesTheExplicitHostInput() throws IOException {
        ddcutil.mode("garbage");
        Domain vm = vm("win10", "<ddcutil vm-input='hdmi1' host-input='dp1'/>");
        run(vm, "started");
        assertThat(ddcutil.input()).isEqualTo("11");
        assertThat(lines).anyMatch(l -> l.startsWith("change ddcutil: the first display input = 0x11 (hdmi1) (the input it showed could not be read:"
                + " ddcutil getvcp 60 printed 'VCP 60 ERR'"));
        release(vm);
        assertThat(ddcutil.input()).isEqualTo("0f");
    }

    @Test
    void aHungDdcutilIsKilledAfterTheTimeoutAndWarned() throws IOException {
        ddcutil.mode("hang");
        Domain vm = vm("win10", "<ddcutil vm-input='hdmi1' timeout='1s'/>");
        long start = System.nanoTime();
        run(vm, "started");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(lines).anyMatch(l -> l.startsWith("warn   ddcutil:") && l.contains("did not finish within 1000 ms"));
    }

    @Test
    void withoutDdcutilTheVmStartsWithAWarningAtPrepareAndStarted() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Domain vm = vm("win10", "<ddcutil vm-input='hdmi1'/>");
        HookEngine engine = engine(new DdcutilFeature(empty.toString()));
        engine.run(event("win10", "prepare"), vm, vm.hooksConfig(), lines::add);
        engine.run(event("win10", "started"), vm, vm.hooksConfig(), lines::add);
        assertThat(lines).anyMatch(l -> l.startsWith("warn   ddcutil: ddcutil is not installed (apt-get install ddcutil); win10 will start"));
        assertThat(claim("win10").values().get("warning")).startsWith("ddcutil is not installed");
        engine.run(event("win10", "release"), vm, vm.hooksConfig(), lines::add);
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void badOptionsStopTheStartAtPrepareBeforeAnythingRuns() throws IOException {
        for (String bad : List.of("<ddcutil/>", "<ddcutil vm-input='hdmi9'/>", "<ddcutil vm-input='usbc'/>",
                "<ddcutil vm-input='hdmi1' display='1' bus='3'/>", "<ddcutil vm-input='hdmi1' model='-x'/>",
                "<ddcutil vm-input='hdmi1' host-input='0x11'/>", "<ddcutil vm-input='hdmi1' monitor='1'/>",
                "<ddcutil vm-input='hdmi1' sleep-multiplier='0'/>", "<ddcutil vm-input='hdmi1' timeout='0s'/>")) {
            Domain vm = vm("win10", bad);
            assertThatThrownBy(() -> run(vm, "prepare")).as(bad).isInstanceOf(HookFailure.class).hasMessageStartingWith("ddcutil: ");
        }
        assertThatThrownBy(() -> run(vm("w", "<ddcutil vm-input='usb-c'/>"), "prepare"))
                .hasMessageContaining("USB-C has no standard VCP 0x60 value");
        assertThat(ddcutil.calls()).isEmpty();
    }

    @Test
    void inputNamesFollowMccs() {
        assertThat(InputSource.parse("vm-input", "DisplayPort-1").value()).isEqualTo(0x0f);
        assertThat(InputSource.parse("vm-input", "dp2").value()).isEqualTo(0x10);
        assertThat(InputSource.parse("vm-input", "HDMI-1").value()).isEqualTo(0x11);
        assertThat(InputSource.parse("vm-input", "dvi1").value()).isEqualTo(0x03);
        assertThat(InputSource.parse("vm-input", "vga1").value()).isEqualTo(0x01);
        assertThat(InputSource.parse("vm-input", "0x1B").toString()).isEqualTo("0x1b");
        assertThat(new InputSource(0x12).toString()).isEqualTo("0x12 (hdmi2)");
    }

    @Test
    void planRunsTheHookOnADryHostReadingTheInputButNotSwitchingIt() throws IOException {
        Domain vm = vm("win10", "<ddcutil bus='4' vm-input='hdmi1'/>");
        var plan = engine(new DdcutilFeature(ddcutil.bin.toString())).plan(
                io.github.libvirthooks.features.engine.HookRequest.of(event("win10", "started"), vm), vm.hooksConfig()).get(0);
        assertThat(plan.refused()).isEmpty();
        assertThat(plan.commands()).containsExactly(List.of(ddcutil.bin.resolve("ddcutil").toString(), "--bus=4", "--noverify", "setvcp",
                "60", "0x11"));
        assertThat(ddcutil.calls()).as("only the read ran").containsExactly(List.of("--bus=4", "getvcp", "60", "--brief"));
        assertThat(plan.claims()).singleElement().satisfies(c -> assertThat(DdcutilClaim.CODEC.decode(c.key(), c.values()))
                .isEqualTo(new DdcutilClaim(Map.of("bus", "4"), new InputSource(0x11), Optional.of(new InputSource(0x0f)),
                        DdcutilClaim.Switched.YES, Optional.empty())));
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    /** The real ddcutil, on a host without monitors: its error is a warning, the VM runs. */
    @Test
    void theRealDdcutilOnAHostWithoutMonitorsGivesAWarning() throws IOException {
        assumeTrue(Ddcutil.find(System.getenv("PATH")).isPresent(), "ddcutil is not installed: apt-get install ddcutil to run this test");
        try (Stream<Path> dev = Files.list(Path.of("/dev"))) {
            assumeTrue(dev.noneMatch(p -> p.getFileName().toString().startsWith("i2c-")),
                    "this host has I2C buses and maybe a monitor: the test never switches a real monitor");
        }
        Domain vm = vm("win10", "<ddcutil vm-input='hdmi1' host-input='dp1'/>");
        HookEngine engine = engine(new DdcutilFeature());
        engine.run(event("win10", "prepare"), vm, vm.hooksConfig(), lines::add);
        HookOutcome started = engine.run(event("win10", "started"), vm, vm.hooksConfig(), lines::add);
        assertThat(started.applied()).contains("ddcutil");
        assertThat(lines).anyMatch(l -> l.startsWith("warn   ddcutil: cannot read the input of the first display: ddcutil exited with status 1"));
        assertThat(claim("win10").values()).containsEntry("switched", "no");
        HookOutcome released = engine.run(event("win10", "release"), vm, vm.hooksConfig(), lines::add);
        assertThat(released.warnings()).isEmpty();
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    private HookOutcome run(Domain vm, String op) {
        return engine(new DdcutilFeature(ddcutil.bin.toString())).run(event(vm.name(), op), vm, vm.hooksConfig(), lines::add);
    }

    private void release(Domain vm) {
        HookOutcome outcome = run(vm, "release");
        assertThat(outcome.warnings()).isEmpty();
    }

    private HookEngine engine(DdcutilFeature feature) {
        return new HookEngine(host, CommandRunner.system(), state, List.of(feature), Duration.ofSeconds(5), Clock.systemUTC());
    }

    private JournalEntry claim(String vm) {
        return state.load(vm, "").entries().stream().filter(e -> e.feature().equals("ddcutil")).findFirst().orElseThrow();
    }

    static HookInvocation event(String vm, String op) {
        return HookInvocation.parse(List.of("qemu", vm, op, op.equals("release") ? "end" : "begin", "-"));
    }

    static Domain vm(String name, String hooks) {
        String xml = "<domain type='kvm'><name>" + name + "</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'>" + hooks + "</hooks></metadata></domain>";
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }
}
