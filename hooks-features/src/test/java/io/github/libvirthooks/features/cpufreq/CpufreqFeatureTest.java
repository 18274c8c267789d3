package io.github.libvirthooks.features.cpufreq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.FeaturePlan;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookFailure;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOutcome;
import io.github.libvirthooks.features.engine.HookRequest;
import io.github.libvirthooks.features.state.JournalEntry;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.exec.RecordingCommandRunner;
import io.github.libvirthooks.testkit.FakeHost;
import io.github.libvirthooks.testkit.FakeHost.CpufreqDriver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpufreqFeatureTest {
    private static final String POLICY = "/sys/devices/system/cpu/cpufreq/policy";

    @TempDir
    Path tmp;
    FakeHost fake;
    StateDirectory state;
    List<String> lines;

    @BeforeEach
    void host() {
        fake = FakeHost.at(tmp.resolve("host")).smtCpus(8).kernelWrites();
        state = new StateDirectory(tmp.resolve("state"));
        lines = new ArrayList<>();
    }

    @Test
    void intelPstateGetsThePreferenceBeforeTheGovernorAndBothBackAtRelease() {
        fake.cpufreq(CpufreqDriver.INTEL_PSTATE, 1);
        Domain vm = vm("win10", "<cpufreq/>", "2", "6");

        prepare(vm);

        for (int p : new int[] {2, 6}) {
            assertThat(fake.read(POLICY + p + "/scaling_governor")).isEqualTo("performance");
            assertThat(fake.read(POLICY + p + "/energy_performance_preference")).isEqualTo("performance");
        }
        assertThat(fake.read(POLICY + "3/scaling_governor")).as("not the VM's").isEqualTo("powersave");
        // The fake kernel refuses a preference under the performance governor, as intel_pstate does: the order matters.
        release(vm);
        for (int p : new int[] {2, 6}) {
            assertThat(fake.read(POLICY + p + "/scaling_governor")).isEqualTo("powersave");
            assertThat(fake.read(POLICY + p + "/energy_performance_preference")).isEqualTo("balance_performance");
        }
        assertThat(state.loadAll(new ArrayList<>())).isEmpty();
    }

    @Test
    void amdPstateActiveRefusesAnyPreferenceUnderPerformanceSoReleasePutsTheGovernorBackFirst() {
        fake.cpufreq(CpufreqDriver.AMD_PSTATE_ACTIVE, 1);
        Domain vm = vm("win10", "<cpufreq epp='balance_performance' governor='performance'/>", "1", "5");
        fake.file(POLICY + "1/energy_performance_preference", "power");

        prepare(vm);
        assertThat(fake.read(POLICY + "1/energy_performance_preference")).isEqualTo("balance_performance");
        assertThat(fake.read(POLICY + "1/scaling_governor")).isEqualTo("performance");
        assertThat(fake.read(POLICY + "5/energy_performance_preference")).as("already as asked").isEqualTo("balance_performance");

        release(vm);
        assertThat(fake.read(POLICY + "1/energy_performance_preference")).isEqualTo("power");
        assertThat(fake.read(POLICY + "1/scaling_governor")).isEqualTo("powersave");
        assertThat(lines).contains("undo   cpufreq: policy1 back to epp=power governor=powersave");
    }

    @Test
    void driversWithoutAPreferenceGetTheGovernorOnlyAndSaySo() {
        for (CpufreqDriver driver : new CpufreqDriver[] {CpufreqDriver.ACPI_CPUFREQ, CpufreqDriver.AMD_PSTATE_PASSIVE}) {
            host();
            fake.cpufreq(driver, 1);
            Domain vm = vm("win10", "<cpufreq/>", "2", "3");
            prepare(vm);
            assertThat(fake.read(POLICY + "2/scaling_governor")).isEqualTo("performance");
            assertThat(fake.content(POLICY + "2/scaling_governor")).isEqualTo("performance\n");
            assertThat(lines).anyMatch(l -> l.startsWith("info   cpufreq: policy2 (CPUs 2, " + driver.name().toLowerCase()
                    .replace("acpi_cpufreq", "acpi-cpufreq").replace("amd_pstate_passive", "amd-pstate") + ") has no energy_performance_preference"));
            release(vm);
            assertThat(fake.read(POLICY + "2/scaling_governor")).isEqualTo("schedutil");
        }
    }

    @Test
    void anEppAskedForOnADriverWithoutOneIsAWarning() {
        fake.cpufreq(CpufreqDriver.ACPI_CPUFREQ, 1);
        prepare(vm("win10", "<cpufreq epp='performance'/>", "2", "3"));
        assertThat(lines).anyMatch(l -> l.startsWith("warn   cpufreq: policy2") && l.contains("has no energy_performance_preference"));
    }

    @Test
    void aGovernorTheDriverDoesNotOfferIsLeftWithAWarningNamingTheAvailableOnes() {
        fake.cpufreq(CpufreqDriver.INTEL_PSTATE, 1);
        Domain vm = vm("win10", "<cpufreq governor='schedutil'/>", "2", "3");

        prepare(vm);

        assertThat(fake.read(POLICY + "2/scaling_governor")).isEqualTo("powersave");
        assertThat(fake.read(POLICY + "2/energy_performance_preference")).isEqualTo("performance");
        assertThat(lines).anyMatch(l -> l.startsWith("warn   cpufreq: policy2 (CPUs 2, intel_pstate) does not offer governor"
                + " 'schedutil'; available: performance powersave"));
        release(vm);
        assertThat(fake.read(POLICY + "2/energy_performance_preference")).isEqualTo("balance_performance");
    }

    @Test
    void cpusOfOnePolicyShareItsFilesWhichAreWrittenOnce() {
        fake.cpufreq(CpufreqDriver.ACPI_CPUFREQ, 2);
        Domain vm = vm("win10", "<cpufreq/>", "2", "3");

        prepare(vm);

        assertThat(lines.stream().filter(l -> l.startsWith("change cpufreq:"))).containsExactly(
                "change cpufreq: " + POLICY + "2/scaling_governor = performance (was schedutil)");
        assertThat(state.load("win10", "").entries()).filteredOn(e -> e.kind() == JournalEntry.Kind.CLAIM).singleElement().satisfies(e -> assertThat(e.key()).isEqualTo("policy2"));
        release(vm);
        assertThat(fake.read(POLICY + "2/scaling_governor")).isEqualTo("schedutil");
    }

    @Test
    void aPolicyReachingBeyondTheVmsCpusSaysWhichOthersChange() {
        fake.cpufreq(CpufreqDriver.ACPI_CPUFREQ, 4);
        prepare(vm("win10", "<cpufreq/>", "2", "3"));
        assertThat(lines).contains("info   cpufreq: policy0 also drives CPUs 0-1, which share one frequency control with the"
                + " VM's CPUs 2-3: they change too");
    }

    @Test
    void twoVmsShareAPolicyAndTheLastToReleaseBringsTheOriginalBack() {
        fake.cpufreq(CpufreqDriver.INTEL_PSTATE, 1);
        Domain a = vm("a", "<cpufreq/>", "2", "3");
        Domain b = vm("b", "<cpufreq/>", "3", "4");

        prepare(a);
        prepare(b);
        assertThat(state.load("b", "").entries()).filteredOn(e -> e.key().equals("policy3")).singleElement()
                .satisfies(e -> assertThat(e.values()).containsEntry("orig:governor", "powersave")
                        .containsEntry("orig:epp", "balance_performance"));

        release(a);
        assertThat(fake.read(POLICY + "2/scaling_governor")).isEqualTo("powersave");
        assertThat(fake.read(POLICY + "3/scaling_governor")).as("b still runs on CPU 3").isEqualTo("performance");
        assertThat(lines).contains("undo   cpufreq: policy3 stays epp=performance governor=performance for b");

        release(b);
        for (int p : new int[] {2, 3, 4}) {
            assertThat(fake.read(POLICY + p + "/scaling_governor")).isEqualTo("powersave");
            assertThat(fake.read(POLICY + p + "/energy_performance_preference")).isEqualTo("balance_performance");
        }
    }

    @Test
    void aSecondVmAskingOtherwiseOfASharedPolicyIsRefusedBeforeAnyChange() {
        fake.cpufreq(CpufreqDriver.ACPI_CPUFREQ, 2);
        prepare(vm("a", "<cpufreq/>", "2", "2"));
        Domain b = vm("b", "<cpufreq governor='ondemand'/>", "3", "4");
        String before = fake.read(POLICY + "4/scaling_governor");

        assertThatThrownBy(() -> prepare(b)).isInstanceOf(HookFailure.class)
                .hasMessageContaining("cpufreq: policy2 (CPUs 2-3) is set to governor=performance for a, and this VM asks"
                        + " governor=ondemand");
        assertThat(fake.read(POLICY + "4/scaling_governor")).isEqualTo(before);
        assertThat(state.load("b", "").entries()).isEmpty();
    }

    @Test
    void cpusAllAndMinFreqMaxPinEveryPolicyAtItsHighestClock() {
        fake.cpufreq(CpufreqDriver.AMD_PSTATE_PASSIVE, 2);
        Domain vm = vm("win10", "<cpufreq cpus='all' min-freq='max'/>", "", "");

        prepare(vm);
        for (int p = 0; p < 8; p += 2) {
            assertThat(fake.read(POLICY + p + "/scaling_min_freq")).isEqualTo("4200000");
            assertThat(fake.read(POLICY + p + "/scaling_governor")).isEqualTo("performance");
        }
        release(vm);
        for (int p = 0; p < 8; p += 2) {
            assertThat(fake.read(POLICY + p + "/scaling_min_freq")).isEqualTo("800000");
        }
    }

    @Test
    void aMinFreqOutsideTheHardwaresRangeIsAWarning() {
        fake.cpufreq(CpufreqDriver.INTEL_PSTATE, 1);
        prepare(vm("win10", "<cpufreq min-freq='9000000'/>", "2", "3"));
        assertThat(fake.read(POLICY + "2/scaling_min_freq")).isEqualTo("800000");
        assertThat(lines).anyMatch(l -> l.startsWith("warn   cpufreq: min-freq 9000000 kHz is outside what policy2"));
    }

    @Test
    void aHostWithoutCpufreqIsAWarningAndNoClaim() {
        Domain vm = vm("win10", "<cpufreq/>", "2", "3");
        HookOutcome outcome = prepare(vm);
        assertThat(outcome.applied()).containsExactly("cpufreq");
        assertThat(lines).anyMatch(l -> l.startsWith("warn   cpufreq: CPUs 2-3 have no cpufreq driver"));
        assertThat(state.load("win10", "").entries()).isEmpty();
    }

    @Test
    void unpinnedVcpusNeedCpusAllOrAList() {
        fake.cpufreq(CpufreqDriver.INTEL_PSTATE, 1);
        assertThatThrownBy(() -> prepare(vm("win10", "<cpufreq/>", "", ""))).isInstanceOf(HookFailure.class)
                .hasMessageContaining("set cpus='all'");
    }

    @Test
    void badOptionsAreRefusedNamingWhatIsAllowed() {
        fake.cpufreq(CpufreqDriver.INTEL_PSTATE, 1);
        assertThatThrownBy(() -> prepare(vm("w", "<cpufreq governor='perf ormance'/>", "2", "3"))).hasMessageContaining("invalid governor");
        assertThatThrownBy(() -> prepare(vm("w", "<cpufreq min-freq='fast'/>", "2", "3"))).hasMessageContaining("or max");
        assertThatThrownBy(() -> prepare(vm("w", "<cpufreq cpus='x'/>", "2", "3"))).hasMessageContaining("use all, or a CPU list");
        assertThatThrownBy(() -> prepare(vm("w", "<cpufreq speed='1'/>", "2", "3"))).hasMessageContaining("unknown option 'speed'");
    }

    @Test
    void planShowsThePoliciesAndWritesWithoutTouchingTheHost() {
        fake.cpufreq(CpufreqDriver.INTEL_PSTATE, 1);
        Domain vm = vm("win10", "<cpufreq/>", "2", "3");

        FeaturePlan plan = engine().plan(HookRequest.of(event("win10", "prepare"), vm), vm.hooksConfig()).get(0);

        assertThat(plan.refused()).isEmpty();
        assertThat(plan.effects()).containsEntry("cpus", "2-3");
        assertThat(plan.effects().get("policies")).asList().first().isEqualTo(Map.of("policy", "policy2", "driver", "intel_pstate",
                "cpus", "2", "policyCpus", "2", "set", Map.of("epp", "performance", "governor", "performance")));
        assertThat(plan.writes()).extracting(c -> c.path() + " = " + c.after()).containsExactly(
                POLICY + "2/energy_performance_preference = performance", POLICY + "2/scaling_governor = performance",
                POLICY + "3/energy_performance_preference = performance", POLICY + "3/scaling_governor = performance");
        assertThat(fake.read(POLICY + "2/scaling_governor")).isEqualTo("powersave");
        assertThat(state.loadAll(new ArrayList<>())).isEmpty();
    }

    @Test
    void theClaimRefusesAPlantedPolicyOrValue() {
        CpufreqClaim.Codec codec = CpufreqClaim.CODEC;
        Map<String, String> good = Map.of("cpus", "2", "set:governor", "performance", "orig:governor", "schedutil");
        assertThat(codec.encode(codec.decode("policy2", good))).isEqualTo(new java.util.LinkedHashMap<>(good) {
            {
                clear();
                put("cpus", "2");
                put("set:governor", "performance");
                put("orig:governor", "schedutil");
            }
        });
        assertThatThrownBy(() -> codec.decode("../../../etc", good)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> codec.decode("policy2", Map.of("cpus", "2", "set:governor", "performance",
                "orig:governor", "x\ny"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> codec.decode("policy2", Map.of("cpus", "2", "set:governor", "performance")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> codec.decode("policy2", Map.of("cpus", "2", "set:turbo", "1", "orig:turbo", "0")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private HookOutcome prepare(Domain vm) {
        return engine().run(event(vm.name(), "prepare"), vm, vm.hooksConfig(), lines::add);
    }

    private void release(Domain vm) {
        HookOutcome outcome = engine().run(event(vm.name(), "release"), vm, vm.hooksConfig(), lines::add);
        assertThat(outcome.warnings()).as("release of " + vm.name()).isEmpty();
    }

    private HookEngine engine() {
        return new HookEngine(fake.host(), new RecordingCommandRunner((argv, timeout) -> {
            throw new AssertionError("cpufreq runs no command: " + argv);
        }), state, List.of(new CpufreqFeature()), Duration.ofSeconds(5),
                Clock.systemUTC());
    }

    static HookInvocation event(String vm, String op) {
        return HookInvocation.parse(List.of("qemu", vm, op, op.equals("release") ? "end" : "begin", "-"));
    }

    /** Two vCPUs pinned to the given CPU lists; none pinned when both are empty. */
    static Domain vm(String name, String hooks, String vcpu0, String vcpu1) {
        String cputune = vcpu0.isEmpty() ? "" : "<cputune><vcpupin vcpu='0' cpuset='" + vcpu0 + "'/><vcpupin vcpu='1' cpuset='"
                + vcpu1 + "'/></cputune>";
        String xml = "<domain type='kvm'><name>" + name + "</name><memory unit='MiB'>64</memory><vcpu>2</vcpu>" + cputune
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'>" + hooks + "</hooks></metadata></domain>";
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }
}
