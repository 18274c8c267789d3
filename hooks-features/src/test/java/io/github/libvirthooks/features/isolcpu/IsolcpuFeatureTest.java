package io.github.libvirthooks.features.isolcpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookFailure;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOutcome;
import io.github.libvirthooks.features.state.Damage;
import io.github.libvirthooks.features.state.JournalEntry;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.HostWriteListener;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.testkit.FakeHost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IsolcpuFeatureTest {
    private static final List<String> HOST_SLICES = List.of("init.scope", "system.slice", "user.slice");
    private static final String SUBTREE = "/sys/fs/cgroup/cgroup.subtree_control";

    @TempDir
    Path tmp;
    FakeHost fake;
    StateDirectory state;
    FakeSystemctl systemctl;
    List<String> lines;

    @BeforeEach
    void host() {
        // 8 CPUs, 4 cores: siblings 0,4 1,5 2,6 3,7.
        fake = FakeHost.at(tmp.resolve("host")).smtCpus(8).cgroup2("init.scope", "system.slice", "user.slice", "machine.slice");
        state = new StateDirectory(tmp.resolve("state"));
        systemctl = new FakeSystemctl();
        lines = new ArrayList<>();
    }

    // --- cgroup backend -------------------------------------------------------------------

    @Test
    void cgroupBackendConfinesTheTopLevelCgroupsButTheVmsAndReleaseRestoresThem() {
        Domain vm = vm("win10", "<isolcpu/>", pins("2,6", "3,7"));

        prepare(vm);

        assertThat(fake.read(SUBTREE)).isEqualTo("+cpuset");
        for (String slice : HOST_SLICES) {
            assertThat(fake.cpus(slice)).as(slice).isEqualTo("0-1,4-5");
        }
        assertThat(fake.cpus("machine.slice")).isEmpty();
        assertThat(systemctl.ran).as("no systemd here").isEmpty();
        assertThat(lines).anyMatch(l -> l.startsWith("claim  isolcpu: CPUs 2-3,6-7 for win10"));
        assertThat(lines).noneMatch(l -> l.startsWith("warn"));

        release(vm);

        for (String slice : HOST_SLICES) {
            assertThat(fake.cpus(slice)).as(slice).isEmpty();
        }
        assertThat(fake.read(SUBTREE)).isEqualTo("-cpuset");
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void theCpusetControllerAlreadyEnabledIsLeftEnabled() {
        fake.file(SUBTREE, "cpuset memory pids");
        Domain vm = vm("win10", "<isolcpu/>", pins("2,6", "3,7"));
        prepare(vm);
        release(vm);
        assertThat(fake.read(SUBTREE)).isEqualTo("cpuset memory pids");
    }

    @Test
    void anExplicitCpusOptionWinsOverThePins() {
        Domain vm = vm("win10", "<isolcpu cpus='3,7'/>", pins("2,6", "3,7"));
        prepare(vm);
        assertThat(fake.cpus("system.slice")).isEqualTo("0-2,4-6");
    }

    @Test
    void emulatorAndIothreadPinsCountAsTheVmsCpusOnlyWhenIncluded() {
        String cputune = "<vcpupin vcpu='0' cpuset='3'/><vcpupin vcpu='1' cpuset='3'/><emulatorpin cpuset='7'/>"
                + "<iothreadpin iothread='1' cpuset='2,6'/>";
        Domain guide = vm("win10", "<isolcpu/>", cputune);
        prepare(guide);
        assertThat(fake.cpus("user.slice")).as("guides pin the emulator and IOThreads to host cores").isEqualTo("0-2,4-7");
        assertThat(lines).anyMatch(l -> l.startsWith("info   isolcpu: the emulator's CPUs 7 (<emulatorpin>) stay host CPUs"));
        release(guide);

        Domain vm = vm("win10", "<isolcpu include='emulator,iothreads'/>", cputune);
        prepare(vm);
        assertThat(fake.cpus("user.slice")).isEqualTo("0-1,4-5");
    }

    @Test
    void vcpuCpusetPinsTheVcpusWithoutAPin() {
        String xml = "<domain type='kvm'><name>win10</name><memory unit='MiB'>64</memory>"
                + "<vcpu placement='static' cpuset='2-3,6-7,^6'>2</vcpu><cputune><vcpupin vcpu='1' cpuset='6'/></cputune>"
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'><isolcpu/></hooks></metadata></domain>";
        Domain vm = new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
        prepare(vm);
        assertThat(fake.cpus("user.slice")).isEqualTo("0-1,4-5");
    }

    @Test
    void planRefusesToLeaveTheHostWithoutACpuAsTheHookDoes() {
        Domain vm = vm("greedy", "<isolcpu/>", pins("0-3", "4-7"));
        var plan = engine(fake.host()).plan(io.github.libvirthooks.features.engine.HookRequest.of(event("greedy", "prepare"), vm),
                vm.hooksConfig()).get(0);
        assertThat(plan.refused()).get().asString().contains("would leave the host no CPU");
        assertThatThrownBy(() -> prepare(fake.host(), vm)).hasMessage(plan.refused().get());
    }

    @Test
    void aCgroupThatCannotTakeACpusetIsLeftAlone() {
        fake.delete("/sys/fs/cgroup/init.scope/cpuset.cpus");
        Domain vm = vm("win10", "<isolcpu/>", pins("3", "7"));
        prepare(vm);
        assertThat(fake.cpus("system.slice")).isEqualTo("0-2,4-6");
        assertThat(lines).anyMatch(l -> l.startsWith("info   isolcpu: /sys/fs/cgroup/init.scope/cpuset.cpus is gone"));
        release(vm);
        assertThat(fake.cpus("system.slice")).isEmpty();
    }

    @Test
    void withoutCpusetInCgroupV2TheCgroupBackendRefusesBeforeChangingAnything() {
        fake.file("/sys/fs/cgroup/cgroup.controllers", "cpu io memory pids");
        Domain vm = vm("win10", "<isolcpu/>", pins("3", "7"));
        assertThatThrownBy(() -> prepare(vm)).isInstanceOf(HookFailure.class)
                .hasMessageContaining("isolcpu: the cpuset controller is not available")
                .hasMessageContaining("systemd.unified_cgroup_hierarchy=1");
        assertThat(fake.cpus("system.slice")).isEmpty();
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void aHostWithoutTopLevelCgroupsIsWarnedThatItsProcessesStayOnEveryCpu() {
        fake = FakeHost.at(tmp.resolve("bare")).smtCpus(8).cgroup2("machine");
        prepare(vm("win10", "<isolcpu/>", pins("3", "7")));
        assertThat(lines).anyMatch(l -> l.startsWith("warn   isolcpu: /sys/fs/cgroup has no top-level cgroup but the VMs'"));
    }

    // --- systemd backend ------------------------------------------------------------------

    @Test
    void theCgroupBackendIsRefusedWhereSystemdManagesTheCgroups() {
        fake.systemd();
        Domain vm = vm("win10", "<isolcpu backend='cgroup'/>", pins("2,6", "3,7"));

        assertThatThrownBy(() -> prepare(vm))
                .hasMessageContaining("backend=cgroup on a host whose cgroups systemd manages")
                .hasMessageContaining("use backend=systemd or backend=auto");
        assertThat(fake.read(SUBTREE)).isEqualTo("memory pids");
        assertThat(systemctl.sets()).isEmpty();
    }

    @Test
    void systemdBackendSetsAllowedCpusAtRuntimeAndReleaseResetsIt() {
        fake.systemd();
        Domain vm = vm("win10", "<isolcpu/>", pins("2,6", "3,7"));

        prepare(vm);

        assertThat(systemctl.sets()).containsExactly(
                List.of("systemctl", "set-property", "--runtime", "init.scope", "AllowedCPUs=0-1,4-5"),
                List.of("systemctl", "set-property", "--runtime", "system.slice", "AllowedCPUs=0-1,4-5"),
                List.of("systemctl", "set-property", "--runtime", "user.slice", "AllowedCPUs=0-1,4-5"));
        assertThat(systemctl.ran).contains(List.of("systemctl", "show", "-p", "AllowedCPUs", "--value", "system.slice"));
        assertThat(fake.read(SUBTREE)).as("systemd manages the cgroup files itself").isEqualTo("memory pids");
        systemctl.ran.clear();

        release(vm);

        assertThat(systemctl.sets()).containsExactly(
                List.of("systemctl", "set-property", "--runtime", "user.slice", "AllowedCPUs="),
                List.of("systemctl", "set-property", "--runtime", "system.slice", "AllowedCPUs="),
                List.of("systemctl", "set-property", "--runtime", "init.scope", "AllowedCPUs="));
    }

    /**
     * Seen in the lab on Debian's 6.1: a process pinned by hand to CPU 1 ran on 0-1 once the first
     * VM's cpuset applied (the kernel resets the affinity of a cgroup's tasks before 6.2).
     */
    @Test
    void onKernelsBeforeSixTwoTheFirstVmWarnsAboutProcessesPinnedByHand() {
        fake.systemd();
        fake.cgroup("user.slice", "").cgroup("system.slice", "");
        fake.process(700, "pinned-job", 1000, "/user.slice/user-1000.slice/session-2.scope")
                .file("/proc/700/status", "Name:\tpinned-job\nCpus_allowed_list:\t1\n");
        fake.process(701, "sshd", 0, "/system.slice/ssh.service").file("/proc/701/status", "Name:\tsshd\nCpus_allowed_list:\t0-7\n");
        Domain vm = vm("win10", "<isolcpu/>", pins("2,6", "3,7"));

        fake.file("/proc/sys/kernel/osrelease", "6.1.0-50-amd64\n");
        prepare(vm);
        assertThat(lines).filteredOn(l -> l.startsWith("warn   isolcpu: kernel 6.1.0-50-amd64 (before 6.2) resets the CPU affinity"))
                .singleElement().asString().contains("700 (pinned-job, CPUs 1)").doesNotContain("sshd");
        release(vm);

        lines.clear();
        fake.file("/proc/sys/kernel/osrelease", "6.2.0\n");
        prepare(vm);
        assertThat(lines).noneMatch(l -> l.contains("resets the CPU affinity"));
        release(vm);
    }

    @Test
    void systemdBackendPutsBackAnAllowedCpusTheUserHadSet() {
        fake.systemd();
        systemctl.allowedCpus.put("system.slice", "0-5");
        Domain vm = vm("win10", "<isolcpu/>", pins("3", "7"));
        prepare(vm);
        assertThat(systemctl.allowedCpus).containsEntry("system.slice", "0-2,4-6");
        release(vm);
        assertThat(systemctl.allowedCpus).containsEntry("system.slice", "0-5").containsEntry("user.slice", "");
    }

    @Test
    void autoChoosesCgroupWhenSystemdIsNotPid1AndSystemdWhenAskedForOnAHybridHostRefuses() {
        Domain vm = vm("win10", "<isolcpu backend='systemd'/>", pins("3", "7"));
        fake.file("/proc/self/mountinfo", FakeHost.CGROUP2_MOUNTINFO + "\n"
                + "36 24 0:31 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset");
        assertThatThrownBy(() -> prepare(vm)).isInstanceOf(HookFailure.class)
                .hasMessageContaining("backend=systemd needs systemd managing a pure cgroup v2 host, this one is HYBRID");
        assertThat(systemctl.ran).isEmpty();
    }

    @Test
    void aFailingSystemctlAbortsPrepareAndPutsBackWhatWasAlreadySet() {
        fake.systemd();
        systemctl.refuse.add("user.slice");
        Domain vm = vm("win10", "<isolcpu/>", pins("3", "7"));

        assertThatThrownBy(() -> prepare(vm)).isInstanceOf(HookFailure.class)
                .satisfies(e -> assertThat(((HookFailure) e).abortsVm()).isTrue())
                .hasMessageContaining("cannot set user.slice AllowedCPUs=0-2,4-6")
                .hasMessageContaining("Access denied");

        assertThat(systemctl.allowedCpus).containsEntry("init.scope", "").containsEntry("system.slice", "");
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    // --- refusals, warnings, skips -------------------------------------------------------------

    @Test
    void refusesToLeaveTheHostWithoutACpu() {
        Domain vm = vm("greedy", "<isolcpu cpus='0-7'/>", pins("0-7", "0-7"));
        assertThatThrownBy(() -> prepare(vm)).isInstanceOf(HookFailure.class)
                .hasMessageContaining("would leave the host no CPU");
        assertThat(fake.cpus("system.slice")).isEmpty();
        assertThat(state.fileFor("greedy")).doesNotExist();
    }

    @Test
    void refusesAVmWithoutPinsOrCpusAndNamesTheFix() {
        Domain vm = vm("floating", "<isolcpu/>", "");
        assertThatThrownBy(() -> prepare(vm)).isInstanceOf(HookFailure.class)
                .hasMessageContaining("floating pins no CPUs").hasMessageContaining("cpus=");
    }

    @Test
    void refusesOfflineCpus() {
        Domain vm = vm("win10", "<isolcpu cpus='6-9'/>", "");
        assertThatThrownBy(() -> prepare(vm)).isInstanceOf(HookFailure.class)
                .hasMessageContaining("CPUs 8-9 of win10 are not online (online: 0-7)");
    }

    @Test
    void warnsWhenAPhysicalCoreIsSplitBetweenHostAndVm() {
        Domain vm = vm("win10", "<isolcpu/>", pins("2", "3"));
        prepare(vm);
        assertThat(lines).anyMatch(l -> l.startsWith("warn   isolcpu: physical core 2,6 is split: CPU 2 for win10, 6 elsewhere"));
        assertThat(lines).anyMatch(l -> l.startsWith("warn   isolcpu: physical core 3,7 is split"));
        assertThat(fake.cpus("system.slice")).isEqualTo("0-1,4-7");
    }

    @Test
    void skipsWithAnInfoLineWhenTheKernelCommandLineAlreadyIsolatesTheVmsCpus() {
        fake.cmdline("BOOT_IMAGE=/vmlinuz root=/dev/vda isolcpus=managed_irq,domain,2-3 nohz_full=6-7 quiet");
        Domain vm = vm("win10", "<isolcpu/>", pins("2,6", "3,7"));
        prepare(vm);
        assertThat(lines).singleElement().asString().startsWith("skip   isolcpu: the kernel command line already isolates CPUs 2-3,6-7");
        assertThat(fake.cpus("system.slice")).isEmpty();
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void aCommandLineThatIsolatesOtherCpusDoesNotSkip() {
        fake.cmdline("root=/dev/vda isolcpus=1");
        Domain vm = vm("win10", "<isolcpu/>", pins("2,6", "3,7"));
        prepare(vm);
        assertThat(fake.cpus("system.slice")).isEqualTo("0-1,4-5");
    }

    @Test
    void badOptionsAreReportedBeforeAnythingChanges() {
        assertThatThrownBy(() -> prepare(vm("a", "<isolcpu backend='magic'/>", pins("3", "7"))))
                .hasMessageContaining("invalid backend 'magic': use auto, systemd or cgroup");
        assertThatThrownBy(() -> prepare(vm("a", "<isolcpu irq='yes'/>", pins("3", "7"))))
                .hasMessageContaining("invalid irq 'yes': use true or false");
        assertThatThrownBy(() -> prepare(vm("a", "<isolcpu cpu='3'/>", pins("3", "7"))))
                .hasMessageContaining("unknown option 'cpu'");
        assertThatThrownBy(() -> prepare(vm("a", "<isolcpu cpus='3-'/>", pins("3", "7"))))
                .hasMessageContaining("invalid cpus '3-'");
        assertThat(fake.cpus("system.slice")).isEmpty();
    }

    // --- counting across VMs -----------------------------------------------------------------

    @Test
    void twoVmsWithDifferentCpusFirstReleaseKeepsTheOthersIsolationLastRestoresTheOriginals() {
        Domain a = vm("a", "<isolcpu/>", pins("2", "6"));
        Domain b = vm("b", "<isolcpu/>", pins("3", "7"));

        prepare(a);
        assertThat(fake.cpus("system.slice")).isEqualTo("0-1,3-5,7");
        prepare(b);
        assertThat(fake.cpus("system.slice")).isEqualTo("0-1,4-5");

        release(a);
        assertThat(fake.cpus("system.slice")).as("b's CPUs stay isolated").isEqualTo("0-2,4-6");
        assertThat(fake.read(SUBTREE)).isEqualTo("+cpuset");

        release(b);
        assertThat(fake.cpus("system.slice")).isEmpty();
        assertThat(fake.read(SUBTREE)).isEqualTo("-cpuset");
    }

    @Test
    void twoVmsWithOverlappingCpusReleasedInStartOrderOrTheReverse() {
        for (boolean reverse : new boolean[] {false, true}) {
            fake.file(SUBTREE, "memory pids");
            HOST_SLICES.forEach(s -> fake.file("/sys/fs/cgroup/" + s + "/cpuset.cpus", "0-6"));
            Domain a = vm("a", "<isolcpu/>", pins("2-3", "6-7"));
            Domain b = vm("b", "<isolcpu/>", pins("3", "7"));
            prepare(a);
            prepare(b);
            assertThat(fake.cpus("user.slice")).isEqualTo("0-1,4-5");

            release(reverse ? a : b);
            assertThat(fake.cpus("user.slice")).isEqualTo(reverse ? "0-2,4-6" : "0-1,4-5");

            release(reverse ? b : a);
            assertThat(fake.cpus("user.slice")).as("the original, whichever VM went last").isEqualTo("0-6");
            assertThat(fake.read(SUBTREE)).isEqualTo("-cpuset");
        }
    }

    @Test
    void aSecondVmCopiesTheFirstVmsOriginalsIntoItsClaimInsteadOfReadingIsolatedValues() {
        fake.file("/sys/fs/cgroup/system.slice/cpuset.cpus", "0-7");
        prepare(vm("a", "<isolcpu/>", pins("2", "6")));
        prepare(vm("b", "<isolcpu/>", pins("3", "7")));
        JournalEntry claimB = state.load("b", "").entries().get(0);
        assertThat(claimB.values()).containsEntry("orig:host-cpuset:/sys/fs/cgroup/system.slice/cpuset.cpus", "0-7")
                .containsEntry("orig:subtree-control:" + SUBTREE, "-cpuset")
                .containsEntry("cpus", "3,7");
    }

    @Test
    void aVmAskingForAnotherBackendThanTheRunningOnesIsRefused() {
        prepare(vm("a", "<isolcpu/>", pins("2", "6")));
        assertThatThrownBy(() -> prepare(vm("b", "<isolcpu backend='systemd'/>", pins("3", "7"))))
                .hasMessageContaining("backend=systemd differs from the cgroup backend a already isolates CPUs with");
    }

    @Test
    void optionalKnobsOfOneVmAreKeptWhileItRunsAndRestoredWhenItGoes() {
        fake.workqueues().timerMigration();
        Domain a = vm("a", "<isolcpu workqueue='true' timer-migration='false'/>", pins("2", "6"));
        Domain b = vm("b", "<isolcpu/>", pins("3", "7"));
        prepare(a);
        prepare(b);
        assertThat(fake.read("/sys/devices/virtual/workqueue/cpumask")).as("b's CPUs too").isEqualTo("33");
        assertThat(fake.read("/proc/sys/kernel/timer_migration")).isEqualTo("0");

        release(a);
        assertThat(fake.read("/sys/devices/virtual/workqueue/cpumask")).as("b did not ask for it").isEqualTo("ff");
        assertThat(fake.read("/sys/bus/workqueue/devices/writeback/cpumask")).isEqualTo("ff");
        assertThat(fake.read("/proc/sys/kernel/timer_migration")).isEqualTo("1");
        assertThat(fake.cpus("system.slice")).isEqualTo("0-2,4-6");
        release(b);
        assertThat(fake.cpus("system.slice")).isEmpty();
    }

    // --- optional knobs -----------------------------------------------------------------------

    @Test
    void workqueuesInterruptsAndTimerMigrationFollowTheHostCpus() {
        fake.workqueues().timerMigration().irq(1, "0-7").irq(24, "3").irq(30, "0-1").irq(31, "1,3").irq(40, "0-7");
        HostRoot host = fake.host().withListener(intended -> {
            if (intended.path().equals("/proc/irq/40/smp_affinity_list")) {
                throw new IOException("Input/output error");
            }
        });
        Domain vm = vm("win10", "<isolcpu workqueue='true' irq='true' timer-migration='false'/>", pins("2,6", "3,7"));

        prepare(host, vm);

        assertThat(fake.read("/sys/devices/virtual/workqueue/cpumask")).isEqualTo("33");
        assertThat(fake.read("/sys/bus/workqueue/devices/writeback/cpumask")).isEqualTo("33");
        assertThat(fake.read("/proc/irq/default_smp_affinity")).isEqualTo("33");
        assertThat(fake.read("/proc/irq/1/smp_affinity_list")).isEqualTo("0-1,4-5");
        assertThat(fake.read("/proc/irq/24/smp_affinity_list")).isEqualTo("0-1,4-5");
        assertThat(fake.read("/proc/irq/30/smp_affinity_list")).as("already on host CPUs").isEqualTo("0-1");
        assertThat(fake.read("/proc/irq/31/smp_affinity_list")).as("keeps the host CPU it had").isEqualTo("1");
        assertThat(fake.read("/proc/irq/40/smp_affinity_list")).isEqualTo("0-7");
        assertThat(fake.read("/proc/sys/kernel/timer_migration")).isEqualTo("0");
        assertThat(lines).anyMatch(l -> l.equals("change isolcpu: 3 interrupts moved to CPUs 0-1,4-5 (or the host CPUs they had), 1 already there,"
                + " 1 not movable (managed by the kernel or per-CPU), left alone"));

        release(host, vm);

        assertThat(fake.read("/sys/devices/virtual/workqueue/cpumask")).isEqualTo("ff");
        assertThat(fake.read("/sys/bus/workqueue/devices/writeback/cpumask")).isEqualTo("ff");
        assertThat(fake.read("/proc/irq/default_smp_affinity")).isEqualTo("ff");
        assertThat(fake.read("/proc/irq/1/smp_affinity_list")).isEqualTo("0-7");
        assertThat(fake.read("/proc/irq/24/smp_affinity_list")).isEqualTo("3");
        assertThat(fake.read("/proc/irq/30/smp_affinity_list")).isEqualTo("0-1");
        assertThat(fake.read("/proc/irq/31/smp_affinity_list")).isEqualTo("1,3");
        assertThat(fake.read("/proc/sys/kernel/timer_migration")).isEqualTo("1");
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void optionalKnobsTheKernelLacksAreWarningsNotFailures() {
        Domain vm = vm("win10", "<isolcpu workqueue='true' irq='true' timer-migration='false'/>", pins("3", "7"));
        prepare(vm);
        assertThat(lines).anyMatch(l -> l.startsWith("warn   isolcpu: this kernel does not offer /sys/devices/virtual/workqueue/cpumask"))
                .anyMatch(l -> l.startsWith("warn   isolcpu: this kernel does not offer /proc/irq/default_smp_affinity"))
                .anyMatch(l -> l.startsWith("warn   isolcpu: this kernel does not offer /proc/sys/kernel/timer_migration"));
        assertThat(fake.cpus("system.slice")).isEqualTo("0-2,4-6");
    }

    // --- partition -----------------------------------------------------------------------------

    @Test
    void partitionIsolatedMakesMachineSliceAPartitionOfTheVmsCpus() {
        Domain vm = vm("win10", "<isolcpu partition='isolated'/>", pins("2,6", "3,7"));
        prepare(vm);
        assertThat(fake.cpus("machine.slice")).isEqualTo("2-3,6-7");
        assertThat(fake.read("/sys/fs/cgroup/machine.slice/cpuset.cpus.partition")).isEqualTo("isolated");
        assertThat(fake.cpus("system.slice")).isEqualTo("0-1,4-5");
        assertThat(lines).anyMatch(l -> l.contains("reads 'isolated': CPUs 2-3,6-7 form a cpuset partition"));

        release(vm);
        assertThat(fake.read("/sys/fs/cgroup/machine.slice/cpuset.cpus.partition")).isEqualTo("member");
        assertThat(fake.cpus("machine.slice")).isEmpty();
        assertThat(fake.cpus("system.slice")).isEmpty();
    }

    @Test
    void anInvalidPartitionIsAWarningAndOnlyThePartitionIsRolledBack() {
        String partitionFile = "/sys/fs/cgroup/machine.slice/cpuset.cpus.partition";
        HostRoot kernel = fake.host().withListener(new HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) {
            }

            @Override
            public void afterWrite(Change done) {
                if (done.path().equals(partitionFile) && done.after().equals("isolated")) {
                    fake.file(partitionFile, "isolated invalid (Cpu list in cpuset.cpus not exclusive)");
                }
            }
        });
        Domain vm = vm("win10", "<isolcpu partition='isolated'/>", pins("2,6", "3,7"));

        prepare(kernel, vm);

        assertThat(lines).anyMatch(l -> l.startsWith("warn   isolcpu: the kernel reports " + partitionFile
                + " as 'isolated invalid (Cpu list in cpuset.cpus not exclusive)'; partition rolled back"));
        assertThat(fake.read(partitionFile)).isEqualTo("member");
        assertThat(fake.cpus("machine.slice")).isEmpty();
        assertThat(fake.cpus("system.slice")).as("the rest of the isolation stays").isEqualTo("0-1,4-5");
        assertThat(state.load("win10", "").entries().get(0).values()).containsEntry("groups", "slices");

        release(kernel, vm);
        assertThat(fake.cpus("system.slice")).isEmpty();
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void aKernelWithoutPartitionsGetsAWarning() {
        fake.delete("/sys/fs/cgroup/machine.slice/cpuset.cpus.partition");
        Domain vm = vm("win10", "<isolcpu partition='root'/>", pins("3", "7"));
        prepare(vm);
        assertThat(lines).anyMatch(l -> l.startsWith("warn   isolcpu: /sys/fs/cgroup/machine.slice/cpuset.cpus.partition is missing"));
        assertThat(fake.cpus("machine.slice")).isEmpty();
        assertThat(fake.cpus("system.slice")).isEqualTo("0-2,4-6");
    }

    @Test
    void twoVmsShareOnePartitionThatShrinksWhenOneReleases() {
        Domain a = vm("a", "<isolcpu partition='isolated'/>", pins("2", "6"));
        Domain b = vm("b", "<isolcpu/>", pins("3", "7"));
        prepare(a);
        prepare(b);
        assertThat(fake.cpus("machine.slice")).isEqualTo("2-3,6-7");
        release(a);
        assertThat(fake.cpus("machine.slice")).as("b did not ask for a partition").isEmpty();
        assertThat(fake.read("/sys/fs/cgroup/machine.slice/cpuset.cpus.partition")).isEqualTo("member");
        assertThat(fake.cpus("system.slice")).isEqualTo("0-2,4-6");
        assertThatThrownBy(() -> {
            prepare(vm("c", "<isolcpu partition='isolated'/>", pins("2", "6")));
            prepare(vm("d", "<isolcpu partition='root'/>", pins("1", "5")));
        }).hasMessageContaining("partition=root differs from partition=isolated that c uses");
    }

    // --- crash safety ---------------------------------------------------------------------------

    @Test
    void aCrashBetweenTheClaimAndTheWritesIsUndoneByRestore() {
        fake.file("/sys/fs/cgroup/user.slice/cpuset.cpus", "0-6");
        HostRoot crashing = fake.host().withListener(intended -> {
            throw new SimulatedCrash();
        });
        Domain vm = vm("win10", "<isolcpu/>", pins("3", "7"));

        assertThatThrownBy(() -> prepare(crashing, vm)).isInstanceOf(SimulatedCrash.class);
        assertThat(state.load("win10", "").entries()).singleElement()
                .satisfies(e -> assertThat(e.values()).containsEntry("orig:host-cpuset:/sys/fs/cgroup/user.slice/cpuset.cpus", "0-6"));

        HookOutcome outcome = engine(fake.host()).restore("win10", lines::add);

        assertThat(outcome.warnings()).isEmpty();
        assertThat(fake.cpus("user.slice")).isEqualTo("0-6");
        assertThat(fake.cpus("system.slice")).isEmpty();
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void aCrashHalfWayThroughTheWritesIsUndoneByRestore() {
        int[] writes = {0};
        HostRoot crashing = fake.host().withListener(intended -> {
            if (++writes[0] == 3) {
                throw new SimulatedCrash();
            }
        });
        Domain vm = vm("win10", "<isolcpu/>", pins("3", "7"));
        assertThatThrownBy(() -> prepare(crashing, vm)).isInstanceOf(SimulatedCrash.class);
        assertThat(fake.cpus("init.scope")).isEqualTo("0-2,4-6");

        engine(fake.host()).restore("win10", lines::add);

        HOST_SLICES.forEach(s -> assertThat(fake.cpus(s)).as(s).isEmpty());
        assertThat(fake.read(SUBTREE)).isEqualTo("-cpuset");
    }

    @Test
    void aCrashOfTheSecondVmIsRestoredToTheFirstVmsIsolationNotToTheOriginals() {
        Domain a = vm("a", "<isolcpu/>", pins("2", "6"));
        prepare(a);
        HostRoot crashing = fake.host().withListener(intended -> {
            throw new SimulatedCrash();
        });
        assertThatThrownBy(() -> prepare(crashing, vm("b", "<isolcpu/>", pins("3", "7")))).isInstanceOf(SimulatedCrash.class);

        engine(fake.host()).restore("b", lines::add);

        assertThat(fake.cpus("system.slice")).isEqualTo("0-1,3-5,7");
        release(a);
        assertThat(fake.cpus("system.slice")).isEmpty();
    }

    @Test
    void releaseIsIdempotentAndHarmlessWithoutState() {
        Domain vm = vm("win10", "<isolcpu/>", pins("3", "7"));
        fake.file("/sys/fs/cgroup/system.slice/cpuset.cpus", "1-7");
        release(vm);
        prepare(vm);
        release(vm);
        release(vm);
        assertThat(fake.cpus("system.slice")).isEqualTo("1-7");
    }

    @Test
    void aControllerStillInUseBelowIsLeftEnabledWithAWarning() {
        HostRoot busy = fake.host().withListener(intended -> {
            if (intended.path().equals(SUBTREE) && intended.after().equals("-cpuset")) {
                throw new IOException("Device or resource busy");
            }
        });
        Domain vm = vm("win10", "<isolcpu/>", pins("3", "7"));
        prepare(busy, vm);

        HookOutcome outcome = engine(busy).run(event("win10", "release"), vm, vm.hooksConfig(), lines::add);

        assertThat(outcome.warnings()).isEmpty();
        assertThat(lines).anyMatch(l -> l.startsWith("warn   isolcpu: left the cpuset controller enabled"));
        assertThat(fake.cpus("system.slice")).isEmpty();
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    // --- another VM's journal cannot be read --------------------------------------------------

    @Test
    void aDamagedJournalOfAnotherVmRefusesAtPrepareNamingTheFileAndChangesNothing() {
        Path damaged = Damage.truncatedJournal(state, "other");
        Domain vm = vm("win10", "<isolcpu/>", pins("2,6", "3,7"));

        assertThatThrownBy(() -> prepare(vm)).isInstanceOf(HookFailure.class)
                .hasMessageStartingWith("isolcpu: cannot count the other VMs' claims: the journal " + damaged + " cannot be read (")
                .hasMessageContaining("run 'libvirt-hooks restore --vm other'");

        assertThat(fake.read(SUBTREE)).isEqualTo("memory pids");
        for (String slice : HOST_SLICES) {
            assertThat(fake.cpus(slice)).as(slice).isEmpty();
        }
        assertThat(state.fileFor("win10")).doesNotExist();
        assertThat(lines).isEmpty();
    }

    @Test
    void releaseWithADamagedOtherJournalKeepsTheIsolationSaysSoAndRestoreFinishesOnceItIsDealtWith() {
        Domain a = vm("a", "<isolcpu/>", pins("2", "6"));
        Domain b = vm("b", "<isolcpu/>", pins("3", "7"));
        prepare(a);
        prepare(b);
        byte[] journalOfB = Damage.cutEndLine(state.fileFor("b"));

        HookOutcome outcome = engine(fake.host()).run(event("a", "release"), a, a.hooksConfig(), lines::add);

        assertThat(fake.cpus("system.slice")).as("b may still run on 3,7: nothing handed back").isEqualTo("0-1,4-5");
        assertThat(fake.read(SUBTREE)).isEqualTo("+cpuset");
        assertThat(outcome.warnings()).singleElement().asString()
                .startsWith("isolcpu: cannot undo cpus: left as it is, a may not be the last VM sharing it: the journal "
                        + state.fileFor("b") + " cannot be read (truncated journal (no valid end line))")
                .contains("run 'libvirt-hooks restore --vm b'");
        assertThat(lines).anyMatch(l -> l.startsWith("keep   isolcpu: the host's CPU isolation stays as it is: another VM's journal "
                + state.fileFor("b") + " cannot be read, so a may not be the last VM isolating CPUs"));
        assertThat(state.load("a", "").entries()).as("a's claim, with the originals, stays for restore")
                .singleElement().satisfies(e -> assertThat(e.values()).containsEntry("cpus", "2,6")
                        .containsEntry("orig:subtree-control:" + SUBTREE, "-cpuset"));

        // Dealt with: b's journal is whole again, and restore finishes a's release.
        writeBytes(state.fileFor("b"), journalOfB);
        assertThat(engine(fake.host()).restore("a", lines::add).warnings()).isEmpty();
        assertThat(fake.cpus("system.slice")).as("b's CPUs stay isolated").isEqualTo("0-2,4-6");
        release(b);
        assertThat(fake.cpus("system.slice")).isEmpty();
        assertThat(fake.read(SUBTREE)).isEqualTo("-cpuset");
    }

    @Test
    void planRefusesLikeTheHookWhenAnotherJournalIsDamaged() {
        Path damaged = Damage.truncatedJournal(state, "other");
        Domain vm = vm("win10", "<isolcpu/>", pins("2", "3"));
        var plan = engine(fake.host()).plan(io.github.libvirthooks.features.engine.HookRequest.of(event("win10", "prepare"), vm),
                vm.hooksConfig()).get(0);
        assertThat(plan.refused()).get().asString().contains(damaged.toString());
        assertThatThrownBy(() -> prepare(fake.host(), vm)).hasMessage(plan.refused().get());
    }

    @Test
    void planSaysWhatWouldHappenWithoutTouchingTheHost() {
        fake.systemd();
        Domain vm = vm("win10", "<isolcpu workqueue='true'/>", pins("2", "3"));
        var plan = engine(fake.host()).plan(io.github.libvirthooks.features.engine.HookRequest.of(event("win10", "prepare"), vm),
                vm.hooksConfig()).get(0);
        assertThat(plan.refused()).isEmpty();
        assertThat(plan.effects()).containsEntry("vmCpus", "2-3").containsEntry("hostCpus", "0-1,4-7").containsEntry("backend", "systemd");
        assertThat(plan.commands()).contains(List.of("systemctl", "set-property", "--runtime", "system.slice", "AllowedCPUs=0-1,4-7"));
        assertThat(plan.notes()).anyMatch(l -> l.startsWith("warn   isolcpu: physical core 2,6 is split"));
        // The hook's own check of the kernel, which a descriptive plan used to skip.
        assertThat(plan.notes()).anyMatch(l -> l.contains("does not offer /sys/devices/virtual/workqueue/cpumask"));
        assertThat(plan.claims()).singleElement().satisfies(c -> assertThat(c.values()).containsEntry("cpus", "2-3"));
        assertThat(systemctl.sets()).isEmpty();
        assertThat(fake.cpus("system.slice")).isEmpty();
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    // --- helpers -------------------------------------------------------------------------------

    /** Stands for the process dying: nothing in the engine catches it. */
    static final class SimulatedCrash extends RuntimeException {
        SimulatedCrash() {
            super("simulated crash");
        }
    }

    private static void writeBytes(Path file, byte[] bytes) {
        try {
            java.nio.file.Files.write(file, bytes);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void prepare(Domain vm) {
        prepare(fake.host(), vm);
    }

    private void prepare(HostRoot host, Domain vm) {
        engine(host).run(event(vm.name(), "prepare"), vm, vm.hooksConfig(), lines::add);
    }

    private void release(Domain vm) {
        release(fake.host(), vm);
    }

    private void release(HostRoot host, Domain vm) {
        HookOutcome outcome = engine(host).run(event(vm.name(), "release"), vm, vm.hooksConfig(), lines::add);
        assertThat(outcome.warnings()).as("release of " + vm.name()).isEmpty();
    }

    private HookEngine engine(HostRoot host) {
        CommandRunner commands = systemctl;
        return new HookEngine(host, commands, state, List.of(new IsolcpuFeature()), Duration.ofSeconds(5), Clock.systemUTC());
    }

    static HookInvocation event(String vm, String op) {
        return HookInvocation.parse(List.of("qemu", vm, op, op.equals("release") ? "end" : "begin", "-"));
    }

    /** Two vCPUs pinned to the given CPU lists. */
    static String pins(String vcpu0, String vcpu1) {
        return "<vcpupin vcpu='0' cpuset='" + vcpu0 + "'/><vcpupin vcpu='1' cpuset='" + vcpu1 + "'/>";
    }

    static Domain vm(String name, String hooks, String cputune) {
        String xml = "<domain type='kvm'><name>" + name + "</name><memory unit='MiB'>64</memory><vcpu>2</vcpu>"
                + (cputune.isEmpty() ? "" : "<cputune>" + cputune + "</cputune>")
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'>" + hooks + "</hooks></metadata></domain>";
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }
}
