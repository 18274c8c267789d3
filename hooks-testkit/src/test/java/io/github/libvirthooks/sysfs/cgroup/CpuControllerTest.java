package io.github.libvirthooks.sysfs.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.testkit.FakeHost;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuControllerTest {
    private static final String VCPU = "/sys/fs/cgroup/machine.slice/vm.scope/libvirt/vcpu0";

    @TempDir
    Path dir;
    FakeHost tree;
    Cgroup root;
    CpuController cpu;

    @BeforeEach
    void setUp() {
        tree = FakeHost.at(dir).cgroup2();
        root = tree.rootCgroup();
        tree.cgroup("machine.slice/vm.scope/libvirt/vcpu0", "cpuset cpu").cpuFiles("machine.slice/vm.scope/libvirt/vcpu0");
        cpu = root.resolve("machine.slice/vm.scope/libvirt/vcpu0").cpu();
    }

    @Test
    void readsTheKernelDefaults() {
        assertThat(cpu.isEnabled()).isTrue();
        assertThat(cpu.weight()).isEqualTo(100);
        assertThat(cpu.weightNice()).isZero();
        assertThat(cpu.idle()).isFalse();
        assertThat(cpu.max()).isEqualTo(CpuMax.unlimited());
    }

    @Test
    void setWeightReturnsTheChange() {
        assertThat(cpu.setWeight(10_000)).isEqualTo(new Change(VCPU + "/cpu.weight", "100", "10000"));
        assertThat(cpu.weight()).isEqualTo(10_000);
    }

    @Test
    void weightOutsideTheKernelRangeIsRefusedBeforeWriting() {
        assertThatThrownBy(() -> cpu.setWeight(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cpu.weight 0 is out of range: must be 1..10000 (default 100)");
        assertThatThrownBy(() -> cpu.setWeight(10_001)).isInstanceOf(IllegalArgumentException.class);
        assertThat(tree.content(VCPU + "/cpu.weight")).isEqualTo("100\n");
    }

    @Test
    void weightNiceIsValidatedAndWritten() {
        assertThat(cpu.setWeightNice(-20)).isEqualTo(new Change(VCPU + "/cpu.weight.nice", "0", "-20"));
        assertThat(cpu.weightNice()).isEqualTo(-20);
        assertThatThrownBy(() -> cpu.setWeightNice(20)).hasMessageContaining("must be -20..19");
    }

    @Test
    void idleIsZeroOrOne() {
        assertThat(cpu.setIdle(true)).isEqualTo(new Change(VCPU + "/cpu.idle", "0", "1"));
        assertThat(cpu.idle()).isTrue();
        tree.file(VCPU + "/cpu.idle", "2");
        assertThatThrownBy(cpu::idle).isInstanceOf(CgroupException.class)
                .hasMessage(VCPU + "/cpu.idle: value 2 is outside the documented range 0..1");
    }

    @Test
    void missingIdleSaysWhichKernelIsNeeded() {
        tree.delete(VCPU + "/cpu.idle");

        assertThatThrownBy(() -> cpu.setIdle(true)).isInstanceOf(CgroupException.class)
                .hasMessageContaining("has no cpu.idle: the kernel does not support cpu.idle (needs Linux 5.15 or later)");
    }

    @Test
    void garbageWeightIsNamed() {
        tree.file(VCPU + "/cpu.weight", "heavy");

        assertThatThrownBy(cpu::weight).isInstanceOf(CgroupException.class)
                .hasMessage(VCPU + "/cpu.weight: expected a number, found 'heavy'");
    }

    @Test
    void setMaxWritesTheKernelFormat() {
        assertThat(cpu.setMax(CpuMax.of(50_000, 100_000))).isEqualTo(new Change(VCPU + "/cpu.max", "max 100000", "50000 100000"));
        assertThat(cpu.max()).isEqualTo(CpuMax.of(50_000, 100_000));
        assertThat(cpu.setMax(CpuMax.unlimited(200_000))).isEqualTo(new Change(VCPU + "/cpu.max", "50000 100000", "max 200000"));
    }

    @Test
    void cpuMaxParsesAndFormatsBothForms() {
        assertThat(CpuMax.parse("max 100000\n")).isEqualTo(CpuMax.unlimited()).hasToString("max 100000");
        assertThat(CpuMax.parse("150000 100000")).satisfies(m -> {
            assertThat(m.isUnlimited()).isFalse();
            assertThat(m.quota()).isEqualTo(150_000);
        }).hasToString("150000 100000");
        assertThat(CpuMax.parse("20000")).isEqualTo(CpuMax.of(20_000, CpuMax.DEFAULT_PERIOD));
    }

    @Test
    void cpuMaxRefusesWhatTheKernelRefuses() {
        assertThatThrownBy(() -> CpuMax.of(500, 100_000)).hasMessageContaining("quota 500 us is out of range");
        assertThatThrownBy(() -> CpuMax.of(50_000, 999)).hasMessageContaining("period 999 us is out of range: must be 1000..1000000 us");
        assertThatThrownBy(() -> CpuMax.unlimited(2_000_000)).hasMessageContaining("period 2000000 us is out of range");
        assertThat(CpuMax.parse("max")).isEqualTo(CpuMax.unlimited());
        assertThatThrownBy(() -> CpuMax.parse("lots 100000")).hasMessage("invalid cpu.max 'lots 100000': quota 'lots' is not a number");
        assertThatThrownBy(() -> CpuMax.parse("1 2 3")).hasMessageContaining("expected '<quota|max> <period>'");
        assertThatThrownBy(() -> CpuMax.parse("")).hasMessageContaining("expected '<quota|max> <period>'");
    }

    @Test
    void malformedCpuMaxFileIsNamed() {
        tree.file(VCPU + "/cpu.max", "max -1");

        assertThatThrownBy(cpu::max).isInstanceOf(CgroupException.class)
                .hasMessageStartingWith(VCPU + "/cpu.max: invalid cpu.max 'max -1'");
    }

    @Test
    void theRootCgroupHasNoCpuFiles() {
        assertThatThrownBy(() -> root.cpu().setWeight(200)).isInstanceOf(CgroupException.class)
                .hasMessage("the root cgroup (/sys/fs/cgroup) has no cpu.weight: cpu controller files exist only in child cgroups");
    }

    @Test
    void withoutTheControllerTheMessageSaysHowToEnableIt() {
        tree.cgroup("system.slice", "cpuset");

        assertThatThrownBy(() -> root.child("system.slice").cpu().setMax(CpuMax.unlimited()))
                .hasMessageContaining("cgroup system.slice has no cpu.max: the cpu controller is not enabled for it"
                        + " (write +cpu to /sys/fs/cgroup/cgroup.subtree_control)");
    }
}
