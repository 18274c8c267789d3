package io.github.libvirthooks.features.cfscpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookFailure;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOutcome;
import io.github.libvirthooks.features.state.Damage;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.HostRoot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CfscpuFeatureTest {
    private static final String RT = "/proc/sys/kernel/sched_rt_runtime_us";

    @TempDir
    Path tmp;
    FakeQemu qemu;
    StateDirectory state;
    List<String> lines;

    @BeforeEach
    void host() {
        qemu = new FakeQemu(tmp.resolve("host"));
        state = new StateDirectory(tmp.resolve("state"));
        lines = new ArrayList<>();
    }

    @Test
    void byDefaultTheVcpuThreadsOfTheCgroupScopeGetNiceMinusOne() {
        qemu.process("win10", 4000, 2).scope("win10", 1, 4000, 2);
        Domain vm = vm("win10", "<cfscpu/>");

        started(vm);

        assertThat(qemu.ran).containsExactly(
                List.of("renice", "-n", "-1", "-p", "4001"),
                List.of("renice", "-n", "-1", "-p", "4002"));
        assertThat(qemu.sched(4001)).isEqualTo("SCHED_OTHER 0 -1");
        assertThat(qemu.sched(4050)).as("IOThread untouched").isEqualTo("SCHED_OTHER 0 0");
        assertThat(qemu.sched(4000)).as("emulator untouched").isEqualTo("SCHED_OTHER 0 0");
        assertThat(lines).contains("change cfscpu: vCPU 0 (thread 4001): SCHED_OTHER nice 0 -> SCHED_OTHER nice -1")
                .anyMatch(l -> l.startsWith("info   cfscpu: 2 of 2 threads of win10 run SCHED_OTHER nice -1 (found through cgroup machine.slice/"));
        assertThat(state.fileFor("win10")).as("thread settings die with QEMU: nothing to journal").doesNotExist();
    }

    @Test
    void fifoWithPriorityAndIothreads() {
        qemu.process("win10", 4000, 2).scope("win10", 1, 4000, 2);
        Domain vm = vm("win10", "<cfscpu policy='fifo' priority='10' iothreads='true'/>");

        started(vm);

        assertThat(qemu.ran).containsExactly(
                List.of("chrt", "--fifo", "-p", "10", "4001"),
                List.of("chrt", "--fifo", "-p", "10", "4002"),
                List.of("chrt", "--fifo", "-p", "10", "4050"));
        assertThat(qemu.sched(4002)).isEqualTo("SCHED_FIFO 10 0");
        assertThat(qemu.sched(4050)).isEqualTo("SCHED_FIFO 10 0");
        assertThat(qemu.read(RT)).as("RT throttling untouched unless asked").isEqualTo("950000");
    }

    @Test
    void withoutCgroupV2TheThreadsAreFoundByNameUnderTheQemuPid() {
        qemu.process("win10", 4000, 3);
        Domain vm = vm("win10", "<cfscpu policy='batch' nice='5'/>");

        started(vm);

        assertThat(qemu.sched(4001)).isEqualTo("SCHED_BATCH 0 5");
        assertThat(qemu.sched(4003)).isEqualTo("SCHED_BATCH 0 5");
        assertThat(qemu.sched(4000)).isEqualTo("SCHED_OTHER 0 0");
        assertThat(lines).anyMatch(l -> l.contains("3 of 3 threads of win10 run SCHED_BATCH nice 5 (found through thread names of QEMU process 4000"));
    }

    @Test
    void aScopeWithoutVcpuCgroupsFallsBackToThreadNames() {
        qemu.process("win10", 4000, 1).scope("win10", 1, 4000, 0);
        started(vm("win10", "<cfscpu policy='idle'/>"));
        assertThat(qemu.sched(4001)).isEqualTo("SCHED_IDLE 0 0");
    }

    @Test
    void aMissingQemuIsAWarningAndChangesNothingHostWide() {
        Domain vm = vm("gone", "<cfscpu policy='fifo' rt-runtime='-1' weight='200'/>");

        HookOutcome outcome = started(vm);

        assertThat(outcome.applied()).containsExactly("cfscpu");
        assertThat(lines).singleElement().asString()
                .startsWith("warn   cfscpu: no vCPU threads of gone found (no vCPU cgroups, no /run/libvirt/qemu/gone.pid)");
        assertThat(qemu.read(RT)).isEqualTo("950000");
        assertThat(state.fileFor("gone")).doesNotExist();
    }

    @Test
    void aToolThatFailsForOneThreadIsAWarningTheOthersStillGetTheirPolicy() {
        qemu.process("win10", 4000, 2).scope("win10", 1, 4000, 2);
        qemu.refuse.add(4001);

        started(vm("win10", "<cfscpu policy='rr' priority='5'/>"));

        assertThat(lines).anyMatch(l -> l.startsWith("warn   cfscpu: vCPU 0 (thread 4001): cannot set SCHED_RR priority 5 on thread 4001")
                && l.contains("Operation not permitted"));
        assertThat(qemu.sched(4002)).isEqualTo("SCHED_RR 5 0");
        assertThat(lines).anyMatch(l -> l.startsWith("info   cfscpu: 1 of 2 threads"));
    }

    @Test
    void rtRuntimeIsClaimedAndRestoredAtRelease() {
        qemu.process("win10", 4000, 1).scope("win10", 1, 4000, 1);
        Domain vm = vm("win10", "<cfscpu policy='fifo' priority='1' rt-runtime='-1'/>");

        started(vm);
        assertThat(qemu.read(RT)).isEqualTo("-1");

        release(vm);
        assertThat(qemu.read(RT)).isEqualTo("950000");
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void rtRuntimeIsCountedAcrossVmsTheLastOneRestoresTheOriginal() {
        qemu.process("a", 4000, 1).process("b", 5000, 1);
        Domain a = vm("a", "<cfscpu policy='fifo' rt-runtime='-1'/>");
        Domain b = vm("b", "<cfscpu policy='fifo' rt-runtime='990000'/>");

        started(b);
        assertThat(qemu.read(RT)).isEqualTo("990000");
        started(a);
        assertThat(qemu.read(RT)).isEqualTo("-1");

        release(a);
        assertThat(qemu.read(RT)).as("b still asks for 990000").isEqualTo("990000");
        release(b);
        assertThat(qemu.read(RT)).isEqualTo("950000");
    }

    @Test
    void aDamagedJournalOfAnotherVmLeavesRtThrottlingAloneAndKeepsItsClaimAtRelease() throws java.io.IOException {
        qemu.process("a", 4000, 1).process("b", 5000, 1);
        Domain a = vm("a", "<cfscpu policy='fifo' rt-runtime='-1'/>");
        Domain b = vm("b", "<cfscpu policy='fifo' rt-runtime='990000'/>");
        started(b);
        Path damagedB = state.fileFor("b");
        byte[] journalOfB = Damage.cutEndLine(damagedB);

        started(a);
        assertThat(qemu.read(RT)).as("a cannot know the original b recorded").isEqualTo("990000");
        assertThat(lines).anyMatch(l -> l.startsWith("warn   cfscpu: RT throttling left as it is: cannot count the other VMs' claims:"
                + " the journal " + damagedB + " cannot be read"));
        assertThat(qemu.sched(4001)).as("the threads are a's own: still scheduled").isEqualTo("SCHED_FIFO 1 0");
        assertThat(state.fileFor("a")).doesNotExist();

        // b's journal is whole again; now another VM's (c) cannot be read when b releases.
        Damage.truncatedJournal(state, "c");
        writeBytes(damagedB, journalOfB);
        HookOutcome release = engine(qemu.host()).run(event("b", "release", "end"), b, b.hooksConfig(), lines::add);
        assertThat(release.warnings()).singleElement().asString()
                .startsWith("cfscpu: cannot undo sched_rt_runtime_us: left as it is, b may not be the last VM sharing it");
        assertThat(qemu.read(RT)).isEqualTo("990000");
        assertThat(state.load("b", "").entries()).as("the claim keeps the original for restore").singleElement()
                .satisfies(e -> assertThat(e.values()).containsEntry("original", "950000"));

        java.nio.file.Files.deleteIfExists(state.fileFor("c"));
        assertThat(engine(qemu.host()).restore("b", lines::add).warnings()).isEmpty();
        assertThat(qemu.read(RT)).isEqualTo("950000");
    }

    @Test
    void libvirtsOwnSchedulersAreKeptUnlessOverriddenAndPlanSaysWhich() {
        String xml = "<domain type='kvm'><name>win10</name><memory unit='MiB'>64</memory><vcpu>2</vcpu><iothreads>2</iothreads>"
                + "<cputune><vcpusched vcpus='0' scheduler='fifo' priority='1'/><iothreadsched iothreads='1-2,^2' scheduler='batch'/>"
                + "<emulatorsched scheduler='idle'/></cputune>"
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'><cfscpu/></hooks></metadata></domain>";
        Domain vm = new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
        var started = io.github.libvirthooks.features.engine.HookRequest.of(event("win10", "started", "begin"), vm);

        assertThat(engine(qemu.host()).plan(started, vm.hooksConfig()).get(0).notes()).contains(
                "info   cfscpu: libvirt gives vCPUs 0 fifo priority 1 (<vcpusched>); cfscpu leaves them so"
                        + " (override-libvirt=\"true\" would replace it)",
                "info   cfscpu: libvirt gives IOThreads 1 batch (<iothreadsched>); cfscpu leaves them so (iothreads=\"false\")",
                "info   cfscpu: libvirt gives the emulator thread idle (<emulatorsched>); cfscpu leaves it so");
        assertThat(engine(qemu.host()).plan(started, java.util.Map.of("cfscpu", java.util.Map.of("iothreads", "true",
                "override-libvirt", "true"))).get(0).notes())
                .anyMatch(l -> l.startsWith("info   cfscpu: libvirt gives IOThreads 1 batch (<iothreadsched>); cfscpu replaces it"));

        qemu.process("win10", 4000, 2).scope("win10", 1, 4000, 2);
        started(vm);
        assertThat(qemu.ran).as("vCPU 0 keeps libvirt's fifo; vCPU 1 gets cfscpu's").containsExactly(
                List.of("renice", "-n", "-1", "-p", "4002"));
        assertThat(lines).anyMatch(l -> l.startsWith("info   cfscpu: 1 of 1 threads of win10 run"));
    }

    @Test
    void planSaysRtThrottlingWouldBeLeftAloneWhileAnotherJournalIsDamaged() {
        Path damaged = Damage.truncatedJournal(state, "other");
        qemu.process("win10", 4000, 2).scope("win10", 1, 4000, 2);
        Domain vm = vm("win10", "<cfscpu policy='fifo' rt-runtime='-1'/>");
        var plan = engine(qemu.host()).plan(io.github.libvirthooks.features.engine.HookRequest.of(event("win10", "started", "begin"), vm),
                vm.hooksConfig()).get(0);

        assertThat(plan.refused()).isEmpty();
        assertThat(plan.notes()).anyMatch(l -> l.startsWith("warn   cfscpu: RT throttling left as it is:"
                + " cannot count the other VMs' claims: the journal " + damaged + " cannot be read"));
    }

    @Test
    void weightIsSetOnTheVcpuCgroupsAndReleaseCopesWithCgroupsLibvirtAlreadyRemoved() {
        qemu.process("win10", 4000, 2).scope("win10", 1, 4000, 2);
        Domain vm = vm("win10", "<cfscpu weight='400'/>");
        String scope = qemu.scopePath("win10", 1);

        started(vm);
        assertThat(qemu.read(scope + "/libvirt/vcpu0/cpu.weight")).isEqualTo("400");
        assertThat(qemu.read(scope + "/libvirt/vcpu1/cpu.weight")).isEqualTo("400");
        assertThat(lines).contains("change cfscpu: cpu.weight = 400 on 2 of 2 vCPU cgroups");

        qemu.deleteTree(scope);
        release(vm);
        assertThat(lines).contains("undo   cfscpu: cpu.weight put back on 0 vCPU cgroups, 2 gone with QEMU");
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void restoreWhileTheVmRunsPutsTheOldWeightBack() {
        qemu.process("win10", 4000, 1).scope("win10", 1, 4000, 1);
        started(vm("win10", "<cfscpu weight='50'/>"));

        engine(qemu.host()).restore("win10", lines::add);

        assertThat(qemu.read(qemu.scopePath("win10", 1) + "/libvirt/vcpu0/cpu.weight")).isEqualTo("100");
    }

    @Test
    void weightWithoutVcpuCgroupsIsAWarning() {
        qemu.process("win10", 4000, 1);
        started(vm("win10", "<cfscpu weight='50'/>"));
        assertThat(lines).anyMatch(l -> l.startsWith("warn   cfscpu: cpu.weight not set"));
        assertThat(qemu.sched(4001)).isEqualTo("SCHED_OTHER 0 -1");
    }

    @Test
    void threadsAlreadyAsAskedAreLeftAlone() {
        qemu.process("win10", 4000, 1);
        qemu.thread(4000, 4001, "CPU 0/KVM", io.github.libvirthooks.sysfs.sched.SchedPolicy.OTHER, 0, -1);
        started(vm("win10", "<cfscpu/>"));
        assertThat(qemu.ran).isEmpty();
    }

    @Test
    void badOptionsFailStartedWithoutAbortingTheVm() {
        qemu.process("win10", 4000, 1);
        for (String bad : List.of("<cfscpu policy='deadline'/>", "<cfscpu priority='10'/>", "<cfscpu policy='fifo' priority='100'/>",
                "<cfscpu policy='fifo' nice='-5'/>", "<cfscpu rt-runtime='-1'/>", "<cfscpu weight='0'/>", "<cfscpu nice='x'/>",
                "<cfscpu prio='1'/>")) {
            assertThatThrownBy(() -> started(vm("win10", bad))).as(bad).isInstanceOf(HookFailure.class)
                    .satisfies(e -> assertThat(((HookFailure) e).abortsVm()).isFalse());
        }
        assertThat(qemu.ran).isEmpty();
        assertThat(qemu.read(RT)).isEqualTo("950000");
    }

    @Test
    void optionMessagesNameTheKeyAndWhatIsAllowed() {
        assertThatThrownBy(() -> CfscpuOptions.parse(java.util.Map.of("policy", "deadline")))
                .hasMessage("invalid policy 'deadline': use other, batch, idle, fifo or rr");
        assertThatThrownBy(() -> CfscpuOptions.parse(java.util.Map.of("priority", "10")))
                .hasMessageContaining("priority applies to policy fifo or rr only");
        assertThatThrownBy(() -> CfscpuOptions.parse(java.util.Map.of("policy", "rr", "priority", "0")))
                .hasMessage("invalid priority 0: must be 1..99");
        assertThat(CfscpuOptions.parse(java.util.Map.of()).describe()).isEqualTo("SCHED_OTHER nice -1");
        assertThat(CfscpuOptions.parse(java.util.Map.of("policy", "fifo")).describe()).isEqualTo("SCHED_FIFO priority 1");
    }

    private static void writeBytes(Path file, byte[] bytes) {
        try {
            java.nio.file.Files.write(file, bytes);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private HookOutcome started(Domain vm) {
        return engine(qemu.host()).run(event(vm.name(), "started", "begin"), vm, vm.hooksConfig(), lines::add);
    }

    private void release(Domain vm) {
        HookOutcome outcome = engine(qemu.host()).run(event(vm.name(), "release", "end"), vm, vm.hooksConfig(), lines::add);
        assertThat(outcome.warnings()).isEmpty();
    }

    private HookEngine engine(HostRoot host) {
        return new HookEngine(host, qemu, state, List.of(new CfscpuFeature()), Duration.ofSeconds(5), Clock.systemUTC());
    }

    private static HookInvocation event(String vm, String op, String sub) {
        return HookInvocation.parse(List.of("qemu", vm, op, sub, "-"));
    }

    private static Domain vm(String name, String hooks) {
        String xml = "<domain type='kvm'><name>" + name + "</name><memory unit='MiB'>64</memory><vcpu>2</vcpu>"
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'>" + hooks + "</hooks></metadata></domain>";
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }
}
