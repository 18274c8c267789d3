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
    void garbageWeightIsNamed() {
        tree.file(VCPU + "/cpu.weight", "heavy");

        assertThatThrownBy(cpu::weight).isInstanceOf(CgroupException.class)
                .hasMessage(VCPU + "/cpu.weight: expected a number, found 'heavy'");
    }

    @Test
    void theRootCgroupHasNoCpuFiles() {
        assertThatThrownBy(() -> root.cpu().setWeight(200)).isInstanceOf(CgroupException.class)
                .hasMessage("the root cgroup (/sys/fs/cgroup) has no cpu.weight: cpu controller files exist only in child cgroups");
    }

    @Test
    void withoutTheControllerTheMessageSaysHowToEnableIt() {
        tree.cgroup("system.slice", "cpuset");

        assertThatThrownBy(() -> root.child("system.slice").cpu().setWeight(200))
                .hasMessageContaining("cgroup system.slice has no cpu.weight: the cpu controller is not enabled for it"
                        + " (write +cpu to /sys/fs/cgroup/cgroup.subtree_control)");
    }
}
