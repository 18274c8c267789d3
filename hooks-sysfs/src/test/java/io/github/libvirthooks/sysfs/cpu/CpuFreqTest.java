package io.github.libvirthooks.sysfs.cpu;

import io.github.libvirthooks.sysfs.FakeTree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import java.nio.file.Path;
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
}
