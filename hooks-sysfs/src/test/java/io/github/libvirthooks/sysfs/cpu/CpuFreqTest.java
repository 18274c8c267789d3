package io.github.libvirthooks.sysfs.cpu;

import io.github.libvirthooks.sysfs.FakeTree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuFreqTest {
    private static final String GOVERNOR = "/sys/devices/system/cpu/cpu2/cpufreq/scaling_governor";

    @TempDir
    Path tmp;

    private FakeTree tree() {
        return new FakeTree(tmp)
                .file(GOVERNOR, "schedutil")
                .file("/sys/devices/system/cpu/cpu2/cpufreq/scaling_available_governors", "conservative ondemand userspace powersave performance schedutil ");
    }

    @Test
    void readsGovernorAndAvailableOnes() {
        CpuFreq freq = new CpuFreq(tree().host());

        assertThat(freq.isSupported(2)).isTrue();
        assertThat(freq.governor(2)).isEqualTo("schedutil");
        assertThat(freq.availableGovernors(2)).containsExactly("conservative", "ondemand", "userspace", "powersave", "performance", "schedutil");
    }

    @Test
    void setGovernorWritesAndReturnsTheUndo() {
        FakeTree tree = tree();
        Change change = new CpuFreq(tree.host()).setGovernor(2, "performance");

        assertThat(change).isEqualTo(new Change(GOVERNOR, "schedutil", "performance"));
        assertThat(tree.content(GOVERNOR)).isEqualTo("performance");
    }

    @Test
    void refusesGovernorTheCpuDoesNotOffer() {
        FakeTree tree = tree();

        assertThatThrownBy(() -> new CpuFreq(tree.host()).setGovernor(2, "turbo"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'turbo' is not available on CPU 2")
                .hasMessageContaining("performance");
        assertThat(tree.content(GOVERNOR)).isEqualTo("schedutil\n");
    }

    @Test
    void refusesNamesThatAreNotGovernors() {
        assertThatThrownBy(() -> new CpuFreq(tree().host()).setGovernor(2, "performance\nschedutil"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid cpufreq governor");
    }

    @Test
    void cpuWithoutCpufreqSaysSo() {
        CpuFreq freq = new CpuFreq(new FakeTree(tmp).dir("/sys/devices/system/cpu/cpu0").host());

        assertThat(freq.isSupported(0)).isFalse();
        assertThat(freq.availableGovernors(0)).isEmpty();
        assertThatThrownBy(() -> freq.setGovernor(0, "performance"))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("CPU 0 has no cpufreq governor");
    }

    /** Linux 4.4 and later: cpuN/cpufreq links to ../cpufreq/policyM, shared by the CPUs of one frequency domain. */
    private FakeTree policies() throws Exception {
        FakeTree tree = new FakeTree(tmp);
        String policy = "/sys/devices/system/cpu/cpufreq/policy2";
        tree.file(policy + "/scaling_governor", "powersave").file(policy + "/related_cpus", "2 3")
                .file(policy + "/scaling_available_governors", "performance powersave")
                .file(policy + "/energy_performance_preference", "balance_performance")
                .file(policy + "/energy_performance_available_preferences", "default performance balance_performance balance_power power")
                .file(policy + "/scaling_driver", "intel_pstate").file(policy + "/scaling_min_freq", "800000")
                .file(policy + "/cpuinfo_min_freq", "800000").file(policy + "/cpuinfo_max_freq", "4700000");
        for (int cpu : new int[] {2, 3}) {
            Path dir = tree.local("/sys/devices/system/cpu/cpu" + cpu);
            Files.createDirectories(dir);
            Files.createSymbolicLink(dir.resolve("cpufreq"), Path.of("../cpufreq/policy2"));
        }
        return tree;
    }

    @Test
    void cpusSharingOnePolicyNameTheSameDirectory() throws Exception {
        CpuFreq freq = new CpuFreq(policies().host());

        assertThat(freq.policyOf(2)).contains(new CpuFreq.Policy("policy2"));
        assertThat(freq.policyOf(3)).contains(new CpuFreq.Policy("policy2"));
        CpuFreq.Policy policy = freq.policyOf(3).orElseThrow();
        assertThat(policy.dir()).isEqualTo("/sys/devices/system/cpu/cpufreq/policy2");
        assertThat(freq.cpus(policy)).isEqualTo(CpuSet.of(2, 3));
        assertThat(freq.driver(policy)).isEqualTo("intel_pstate");
        assertThat(freq.governor(policy)).isEqualTo("powersave");
        assertThat(freq.availableGovernors(policy)).containsExactly("performance", "powersave");
        assertThat(freq.energyPerformancePreference(policy)).contains("balance_performance");
        assertThat(freq.availablePreferences(policy)).contains("performance", "power");
        assertThat(freq.minFreq(policy)).isEqualTo(800000);
        assertThat(freq.cpuinfoMaxFreq(policy)).isEqualTo(OptionalLong.of(4700000));
        assertThat(freq.policyOf(5)).isEmpty();
    }

    @Test
    void policyKnobsWriteThePolicyFileOnce() throws Exception {
        FakeTree tree = policies();
        CpuFreq freq = new CpuFreq(tree.host());
        CpuFreq.Policy policy = new CpuFreq.Policy("policy2");

        assertThat(freq.setEnergyPerformancePreference(policy, "performance").before()).isEqualTo("balance_performance");
        assertThat(freq.setMinFreq(policy, 4700000).path()).isEqualTo("/sys/devices/system/cpu/cpufreq/policy2/scaling_min_freq");
        freq.setGovernor(policy, "performance");
        assertThat(tree.content("/sys/devices/system/cpu/cpufreq/policy2/scaling_governor")).isEqualTo("performance");
        assertThat(freq.governor(2)).as("through the CPU's link").isEqualTo("performance");
        assertThatThrownBy(() -> freq.setEnergyPerformancePreference(policy, "../x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void kernelsBefore44LinkToTheOwnerCpusDirectory() throws Exception {
        FakeTree tree = new FakeTree(tmp).file("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "ondemand")
                .file("/sys/devices/system/cpu/cpu0/cpufreq/affected_cpus", "0 1");
        Path dir = tree.local("/sys/devices/system/cpu/cpu1");
        Files.createDirectories(dir);
        Files.createSymbolicLink(dir.resolve("cpufreq"), Path.of("../cpu0/cpufreq"));
        CpuFreq freq = new CpuFreq(tree.host());

        assertThat(freq.policyOf(1)).isEqualTo(Optional.of(new CpuFreq.Policy("cpu0")));
        assertThat(freq.policyOf(0)).isEqualTo(Optional.of(new CpuFreq.Policy("cpu0")));
        assertThat(freq.cpus(new CpuFreq.Policy("cpu0"))).isEqualTo(CpuSet.of(0, 1));
    }

    @Test
    void policyNamesFromAJournalAreCheckedBeforeAnyPathIsMade() {
        assertThatThrownBy(() -> new CpuFreq.Policy("../../etc")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CpuFreq.Policy("policy99999")).isInstanceOf(IllegalArgumentException.class);
        assertThat(new CpuFreq.Policy("cpu7").dir()).isEqualTo("/sys/devices/system/cpu/cpu7/cpufreq");
    }
}
