package io.github.libvirthooks.features.hostpower;

import static io.github.libvirthooks.features.hostpower.FakeLibvirt.virsh;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.hostpower.FakeLibvirt.Dom;
import io.github.libvirthooks.testkit.FakeClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostSleepTest {
    @TempDir
    Path state;
    FakeClock time;
    FakeLibvirt libvirt;
    HostSleep sleep;
    List<String> lines;

    @BeforeEach
    void host() {
        time = new FakeClock();
        libvirt = new FakeLibvirt(time);
        // The hook's own resolution reads properties too; the XML metadata is enough here.
        sleep = new HostSleep(new Virsh(libvirt, Virsh.SYSTEM_URI), state, (name, domain) -> domain.hooksConfig(), time, time);
        lines = new ArrayList<>();
    }

    // --- dosleep ---------------------------------------------------------------------------

    @Test
    void dosleepWithAgentAndS3SuspendsToRamAndPostWakesIt() {
        Dom win = libvirt.domain(1, "win10").hooks("<dosleep/>").agent().pm("yes", null);

        HostPowerResult pre = pre();

        assertThat(pre.clean()).isTrue();
        assertThat(pre.handled()).containsExactly("win10");
        assertThat(libvirt.ran).contains(virsh("dompmsuspend", "--domain", win.uuid, "--target", "mem"));
        assertThat(win.now()).isEqualTo(DomainState.PMSUSPENDED);
        assertThat(sleep.record().read()).containsOnlyKeys(win.uuid);
        assertThat(sleep.record().read().get(win.uuid).action()).isEqualTo(SleepRecord.Action.PMSUSPEND);

        HostPowerResult post = post();

        assertThat(post.clean()).isTrue();
        assertThat(libvirt.changes()).containsExactly("dompmsuspend win10 mem", "dompmwakeup win10");
        assertThat(win.now()).isEqualTo(DomainState.RUNNING);
        assertThat(sleep.record().path()).doesNotExist();
    }

    @Test
    void withoutAGuestAgentChannelTheVmIsPausedAndResumedAfter() {
        Dom legacy = libvirt.domain(1, "xp").hooks("<dosleep/>").pm("yes", null);

        pre();
        assertThat(legacy.now()).isEqualTo(DomainState.PAUSED);
        assertThat(lines).anyMatch(l -> l.contains("xp: pausing, no suspend-to-RAM (no guest agent channel"));

        post();
        assertThat(libvirt.changes()).containsExactly("suspend xp", "resume xp");
        assertThat(legacy.now()).isEqualTo(DomainState.RUNNING);
    }

    @Test
    void s3IsAskedForOnlyWhenTheXmlEnablesIt() {
        Dom unset = libvirt.domain(1, "unset").hooks("<dosleep/>").agent();
        Dom off = libvirt.domain(2, "off").hooks("<dosleep/>").agent().pm("no", "no");
        Dom forced = libvirt.domain(3, "forced").hooks("<dosleep mode='pause'/>").agent().pm("yes", null);

        pre();

        assertThat(libvirt.changes()).containsExactly("suspend unset", "suspend off", "suspend forced");
        assertThat(lines).anyMatch(l -> l.contains("add <pm><suspend-to-mem enabled='yes'/></pm>"));
        assertThat(List.of(unset.now(), off.now(), forced.now())).containsOnly(DomainState.PAUSED);
    }

    @Test
    void aGuestThatTakesTheRequestButNeverSleepsIsPausedWhenItsTimeoutEnds() {
        Dom win = libvirt.domain(1, "win10").hooks("<dosleep timeout='5s'/>").agent().pm("yes", null);
        win.s3Delay = null;

        pre();

        assertThat(libvirt.changes()).containsExactly("dompmsuspend win10 mem", "suspend win10");
        assertThat(time.elapsed()).isBetween(Duration.ofSeconds(5), Duration.ofSeconds(6));
        assertThat(sleep.record().read().get(win.uuid).action()).isEqualTo(SleepRecord.Action.PAUSE);

        post();
        assertThat(win.now()).isEqualTo(DomainState.RUNNING);
    }

    @Test
    void anAgentThatDoesNotAnswerMeansPause() {
        Dom win = libvirt.domain(1, "win10").hooks("<dosleep/>").agent().pm("yes", null);
        libvirt.failing.add("dompmsuspend " + win.uuid);

        pre();

        assertThat(libvirt.changes()).containsExactly("dompmsuspend win10 mem", "suspend win10");
        assertThat(lines).anyMatch(l -> l.contains("the guest agent did not take the suspend request"));
    }

    @Test
    void vmsWithoutTheFeatureAreLeftAlone() {
        libvirt.domain(1, "plain");
        libvirt.domain(2, "awake").hooks("<nosleep/>").agent().pm("yes", "yes");
        libvirt.domain(3, "off").hooks("<dosleep/>").state(DomainState.SHUT_OFF);

        HostPowerResult pre = pre();
        HostPowerResult post = post();

        assertThat(libvirt.changes()).isEmpty();
        assertThat(pre.handled()).isEmpty();
        assertThat(post.handled()).isEmpty();
        assertThat(lines).contains("info   no running VM has dosleep or dohibernate; nothing to do before the host sleeps",
                "info   nothing to wake: no VM was put to sleep before the host slept");
        assertThat(libvirt.ran).noneMatch(a -> a.contains(libvirt.domains.values().stream().filter(d -> d.name.equals("off"))
                .findFirst().orElseThrow().uuid));
    }

    @Test
    void aVmTheUserPausedIsNeitherTouchedNorResumedAfter() {
        Dom paused = libvirt.domain(1, "paused").hooks("<dosleep/>").state(DomainState.PAUSED);

        pre();
        post();

        assertThat(libvirt.changes()).isEmpty();
        assertThat(paused.now()).isEqualTo(DomainState.PAUSED);
        assertThat(lines).contains("skip   paused: is paused, left as it is");
    }

    @Test
    void theRecordIsOnDiskBeforeVirshIsAsked() {
        Dom win = libvirt.domain(1, "win10").hooks("<dosleep/>").agent().pm("yes", null);
        Dom xp = libvirt.domain(2, "xp").hooks("<dosleep/>");
        List<String> seen = new ArrayList<>();
        libvirt.beforeEach = argv -> {
            if (argv.size() > 6 && FakeLibvirt.CHANGES.contains(argv.get(4))) {
                SleepRecord.Entry e = sleep.record().read().get(argv.get(6));
                seen.add(argv.get(4) + " " + (e == null ? "unrecorded" : e.action()));
            }
        };

        pre();

        assertThat(seen).containsExactly("dompmsuspend PMSUSPEND", "suspend PAUSE");
        assertThat(sleep.record().read().keySet()).containsExactly(win.uuid, xp.uuid);
    }

    @Test
    void postIsSafeToRunAgainAfterItFailedHalfway() {
        Dom a = libvirt.domain(1, "a").hooks("<dosleep/>");
        Dom b = libvirt.domain(2, "b").hooks("<dosleep/>").agent().pm("yes", null);
        pre();
        libvirt.failing.add("resume " + a.uuid);

        HostPowerResult first = post();

        assertThat(first.warnings()).singleElement().asString().startsWith("a: ").contains("kept in");
        assertThat(sleep.record().read()).containsOnlyKeys(a.uuid);
        assertThat(b.now()).isEqualTo(DomainState.RUNNING);

        libvirt.failing.clear();
        libvirt.ran.clear();
        HostPowerResult second = post();

        assertThat(second.clean()).isTrue();
        assertThat(libvirt.changes()).containsExactly("resume a");
        assertThat(sleep.record().path()).doesNotExist();

        libvirt.ran.clear();
        post();
        assertThat(libvirt.changes()).isEmpty();
    }

    @Test
    void postAfterACrashInPreWakesWhatIsReallyAsleepAndNothingElse() {
        // pre recorded both, then died before asking virsh about the second one
        Dom a = libvirt.domain(1, "a").hooks("<dosleep/>").state(DomainState.PAUSED);
        Dom b = libvirt.domain(2, "b").hooks("<dosleep/>");
        sleep.record().write(new java.util.LinkedHashMap<>(Map.of(
                a.uuid, new SleepRecord.Entry(SleepRecord.Action.PAUSE, a.uuid, false, "a"))));
        Map<String, SleepRecord.Entry> both = new java.util.LinkedHashMap<>(sleep.record().read());
        both.put(b.uuid, new SleepRecord.Entry(SleepRecord.Action.PMSUSPEND, b.uuid, false, "b"));
        sleep.record().write(both);

        post();

        assertThat(libvirt.changes()).containsExactly("resume a");
        assertThat(lines).contains("info   b: running");
    }

    @Test
    void aVmResumedByHandIsNotTouchedAtPost() {
        Dom xp = libvirt.domain(1, "xp").hooks("<dosleep/>");
        pre();
        xp.state = DomainState.RUNNING;

        post();

        assertThat(libvirt.changes()).containsExactly("suspend xp");
    }

    @Test
    void entriesLeftByAnEarlierSleepAreKeptUntilAPostWakesThem() {
        Dom old = libvirt.domain(1, "old").hooks("<dosleep/>");
        pre();
        // no post: the host slept again; the VM is still paused, so this pre leaves it alone
        Dom fresh = libvirt.domain(2, "fresh").hooks("<dosleep/>");
        pre();
        assertThat(sleep.record().read().keySet()).containsExactly(old.uuid, fresh.uuid);

        post();
        assertThat(old.now()).isEqualTo(DomainState.RUNNING);
        assertThat(fresh.now()).isEqualTo(DomainState.RUNNING);
    }

    // --- dohibernate ------------------------------------------------------------------------

    @Test
    void dohibernateHibernatesThroughTheAgentAndWaitsUntilShutOff() {
        Dom win = libvirt.domain(1, "win10").hooks("<dohibernate/>").agent().pm(null, "yes");

        HostPowerResult pre = pre();

        assertThat(pre.clean()).isTrue();
        assertThat(libvirt.changes()).containsExactly("dompmsuspend win10 disk");
        assertThat(win.now()).isEqualTo(DomainState.SHUT_OFF);
        assertThat(time.elapsed()).isBetween(Duration.ofSeconds(30), Duration.ofSeconds(31));
        assertThat(lines).contains("done   win10: hibernated and shut off");

        post();
        assertThat(libvirt.changes()).containsExactly("dompmsuspend win10 disk");
        assertThat(lines).contains("info   win10: stays shut off (restart-after-resume=false)");
    }

    @Test
    void restartAfterResumeStartsTheHibernatedVmAgainOnce() {
        Dom win = libvirt.domain(1, "win10").hooks("<dohibernate restart-after-resume='true'/>").agent().pm(null, "yes");
        pre();

        post();
        post();

        assertThat(libvirt.changes()).containsExactly("dompmsuspend win10 disk", "start win10");
        assertThat(win.now()).isEqualTo(DomainState.RUNNING);
    }

    @Test
    void withoutS4InTheXmlTheDefaultFallbackShutsTheGuestDown() {
        Dom win = libvirt.domain(1, "win10").hooks("<dohibernate/>").agent().pm("no", "no");

        pre();

        assertThat(libvirt.changes()).containsExactly("shutdown win10");
        assertThat(win.now()).isEqualTo(DomainState.SHUT_OFF);
        assertThat(lines).anyMatch(l -> l.contains("win10: cannot hibernate (the domain XML disables S4"));
        assertThat(sleep.record().read().get(win.uuid).action()).isEqualTo(SleepRecord.Action.SHUTDOWN);
    }

    @Test
    void aHibernationThatTakesTooLongFallsBackToManagedSave() {
        Dom linux = libvirt.domain(1, "linux").hooks("<dohibernate timeout='10s' fallback='managedsave' restart-after-resume='true'/>")
                .agent().pm(null, "yes");
        linux.s4Delay = null;

        pre();

        assertThat(libvirt.changes()).containsExactly("dompmsuspend linux disk", "managedsave linux");
        assertThat(linux.managedSaveImage).isTrue();
        assertThat(sleep.record().read().get(linux.uuid))
                .isEqualTo(new SleepRecord.Entry(SleepRecord.Action.MANAGEDSAVE, linux.uuid, true, "linux"));

        post();
        assertThat(linux.now()).isEqualTo(DomainState.RUNNING);
        assertThat(linux.managedSaveImage).as("start restored the image").isFalse();
    }

    @Test
    void managedSaveWithPassedThroughDevicesBecomesAShutdown() {
        Dom gpu = libvirt.domain(1, "gpu").hooks("<dohibernate fallback='managedsave'/>").hostdev();

        HostPowerResult pre = pre();

        assertThat(libvirt.changes()).containsExactly("shutdown gpu");
        assertThat(pre.warnings()).singleElement().asString().contains("fallback managedsave is impossible");
        assertThat(gpu.now()).isEqualTo(DomainState.SHUT_OFF);
    }

    @Test
    void fallbackNoneLeavesTheGuestRunningWithAWarning() {
        Dom vm = libvirt.domain(1, "vm").hooks("<dohibernate fallback='none'/>");

        HostPowerResult pre = pre();

        assertThat(libvirt.changes()).isEmpty();
        assertThat(vm.now()).isEqualTo(DomainState.RUNNING);
        assertThat(pre.warnings()).containsExactly("vm: left running (fallback=none)");
    }

    @Test
    void aGuestThatIgnoresTheAcpiShutdownIsReportedAndTheHostSleepsAnyway() {
        Dom vm = libvirt.domain(1, "vm").hooks("<dohibernate shutdown-timeout='15s'/>");
        vm.acpiDelay = null;

        HostPowerResult pre = pre();

        assertThat(pre.warnings()).containsExactly("vm: still running after the ACPI shutdown timed out");
        assertThat(time.elapsed()).isBetween(Duration.ofSeconds(15), Duration.ofSeconds(16));
    }

    @Test
    void theOverallBudgetBoundsEveryWait() {
        Dom slow = libvirt.domain(1, "slow").hooks("<dohibernate timeout='10m'/>").agent().pm(null, "yes");
        slow.s4Delay = null;
        slow.acpiDelay = null;
        Dom s3 = libvirt.domain(2, "s3").hooks("<dosleep timeout='10m'/>").agent().pm("yes", null);
        s3.s3Delay = null;

        sleep.pre(Duration.ofSeconds(40), lines::add);

        assertThat(time.elapsed()).isLessThanOrEqualTo(Duration.ofSeconds(43));
        assertThat(libvirt.changes()).containsExactly("dompmsuspend s3 mem", "dompmsuspend slow disk", "suspend s3", "shutdown slow");
        assertThat(libvirt.timeouts.entrySet()).allMatch(e -> e.getValue().compareTo(Duration.ofSeconds(40)) <= 0);
    }

    @Test
    void sleepAndHibernationRequestsGoOutTogetherAndAreWaitedForTogether() {
        libvirt.domain(1, "a").hooks("<dohibernate/>").agent().pm(null, "yes");
        libvirt.domain(2, "b").hooks("<dohibernate/>").agent().pm(null, "yes");
        libvirt.domain(3, "c").hooks("<dosleep/>").agent().pm("yes", null);

        pre();

        assertThat(libvirt.changes()).containsExactly("dompmsuspend c mem", "dompmsuspend a disk", "dompmsuspend b disk");
        assertThat(time.elapsed()).as("in parallel, not 30 + 30 s").isLessThan(Duration.ofSeconds(32));
    }

    @Test
    void aVmWithBothDosleepAndDohibernateIsHibernatedWithAWarning() {
        libvirt.domain(1, "both").hooks("<dosleep/><dohibernate/>").agent().pm("yes", "yes");

        HostPowerResult pre = pre();

        assertThat(libvirt.changes()).containsExactly("dompmsuspend both disk");
        assertThat(pre.warnings()).containsExactly("both: enables both dosleep and dohibernate; hibernating it (turn one off)");
    }

    @Test
    void badOptionsLeaveThatVmAloneAndTheOthersAreHandled() {
        libvirt.domain(1, "bad").hooks("<dosleep mode='deep'/>");
        libvirt.domain(2, "good").hooks("<dosleep/>");

        HostPowerResult pre = pre();

        assertThat(libvirt.changes()).containsExactly("suspend good");
        assertThat(pre.warnings()).singleElement().asString()
                .isEqualTo("bad: invalid dosleep mode 'deep': expected one of auto, pause; left alone");
    }

    @Test
    void virshIsAlwaysGivenTheUuidNeverTheName() {
        libvirt.domain(1, "--help").hooks("<dosleep/>");

        pre();
        post();

        assertThat(libvirt.ran).noneMatch(a -> a.contains("--help"));
        assertThat(libvirt.changes()).containsExactly("suspend --help", "resume --help");
    }

    private HostPowerResult pre() {
        return sleep.pre(HostSleep.DEFAULT_PRE_BUDGET, lines::add);
    }

    private HostPowerResult post() {
        return sleep.post(HostSleep.DEFAULT_POST_BUDGET, lines::add);
    }
}
