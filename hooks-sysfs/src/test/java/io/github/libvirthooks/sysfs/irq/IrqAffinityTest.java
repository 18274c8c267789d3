package io.github.libvirthooks.sysfs.irq;

import io.github.libvirthooks.sysfs.FakeTree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IrqAffinityTest {
    @TempDir
    Path tmp;

    private FakeTree tree() {
        return new FakeTree(tmp)
                .file("/sys/devices/system/cpu/online", "0-3")
                .file("/sys/devices/system/cpu/possible", "0-3")
                .file("/proc/irq/default_smp_affinity", "f")
                .file("/proc/irq/0/smp_affinity", "1")
                .file("/proc/irq/0/smp_affinity_list", "0")
                .file("/proc/irq/9/smp_affinity", "f")
                .file("/proc/irq/9/smp_affinity_list", "0-3")
                .file("/proc/irq/9/effective_affinity_list", "2")
                .dir("/proc/irq/9/acpi")
                .file("/proc/irq/124/smp_affinity", "c")
                .file("/proc/irq/124/smp_affinity_list", "2-3")
                .dir("/proc/irq/124/nvme0q1")
                .dir("/proc/irq/124/nvme0q2");
    }

    @Test
    void anInterruptsAffinityListPathNamesItBothWays() {
        assertThat(IrqAffinity.affinityListPath(24)).isEqualTo("/proc/irq/24/smp_affinity_list");
        assertThat(IrqAffinity.irqOfAffinityList("/proc/irq/24/smp_affinity_list")).hasValue(24);
        assertThat(IrqAffinity.irqOfAffinityList("/proc/irq/24/smp_affinity")).isEmpty();
        assertThat(IrqAffinity.irqOfAffinityList("/proc/irq/../smp_affinity_list")).isEmpty();
        assertThat(IrqAffinity.irqOfAffinityList("/etc/irq/24/smp_affinity_list")).isEmpty();
        IrqAffinity irqs = new IrqAffinity(tree().host());
        assertThat(irqs.hasAffinity(9)).isTrue();
        assertThat(irqs.hasAffinity(10)).isFalse();
        assertThat(irqs.offersDefaultAffinity()).isTrue();
    }

    @Test
    void listsNumericIrqDirectoriesInNumericOrder() {
        assertThat(new IrqAffinity(tree().host()).irqs()).containsExactly(0, 9, 124);
    }

    @Test
    void readsTheAffinityList() {
        IrqAffinity irq = new IrqAffinity(tree().host());

        assertThat(irq.affinity(124)).isEqualTo(CpuSet.of(2, 3));
    }

    @Test
    void setAffinityWritesTheListFormatAndReturnsTheUndo() {
        FakeTree tree = tree();
        AffinityResult result = new IrqAffinity(tree.host()).setAffinity(9, CpuSet.of(0, 1));

        assertThat(result).isEqualTo(new AffinityResult.Moved(9, new Change("/proc/irq/9/smp_affinity_list", "0-3", "0-1")));
        assertThat(tree.content("/proc/irq/9/smp_affinity_list")).isEqualTo("0-1");
    }

    @Test
    void kernelRefusalWithEioIsNotMovableNotACrash() {
        HostRoot host = tree().host().withListener(intended -> {
            throw new IOException("Input/output error");
        });

        AffinityResult result = new IrqAffinity(host).setAffinity(0, CpuSet.of(1));

        assertThat(result).isInstanceOf(AffinityResult.NotMovable.class);
        assertThat(result.irq()).isZero();
        assertThat(((AffinityResult.NotMovable) result).reason()).contains("IRQ 0 cannot be moved");
    }

    @Test
    void otherWriteFailuresStillThrow() {
        HostRoot host = tree().host().withListener(intended -> {
            throw new IOException("No space left on device");
        });

        assertThatThrownBy(() -> new IrqAffinity(host).setAffinity(9, CpuSet.of(1)))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("No space left on device");
    }

    @Test
    void refusesEmptyAndOfflineTargets() {
        FakeTree tree = tree();
        IrqAffinity irq = new IrqAffinity(tree.host());

        assertThatThrownBy(() -> irq.setAffinity(9, CpuSet.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no CPU");
        assertThatThrownBy(() -> irq.setAffinity(9, CpuSet.of(7)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("none of them is online");
        assertThat(tree.content("/proc/irq/9/smp_affinity_list")).isEqualTo("0-3\n");
    }

    @Test
    void missingIrqIsAClearError() {
        IrqAffinity irq = new IrqAffinity(tree().host());

        assertThatThrownBy(() -> irq.setAffinity(77, CpuSet.of(1)))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("/proc/irq/77/smp_affinity_list is missing");
        assertThatThrownBy(() -> irq.affinity(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void defaultAffinity() {
        FakeTree tree = tree();
        IrqAffinity irq = new IrqAffinity(tree.host());

        assertThat(irq.defaultAffinity()).isEqualTo(CpuSet.range(0, 3));
        assertThat(irq.setDefaultAffinity(CpuSet.of(0, 1))).isEqualTo(new Change("/proc/irq/default_smp_affinity", "f", "3"));
        assertThat(tree.content("/proc/irq/default_smp_affinity")).isEqualTo("3");
    }

    @Test
    void defaultAffinityWidthFromMaskWithoutPossible() {
        FakeTree tree = new FakeTree(tmp).file("/proc/irq/default_smp_affinity", "00000000,0000ffff");

        assertThat(new IrqAffinity(tree.host()).setDefaultAffinity(CpuSet.of(33)).after()).isEqualTo("00000002,00000000");
    }

    @Test
    void malformedAffinityNamesTheFile() {
        FakeTree tree = tree().file("/proc/irq/9/smp_affinity_list", "0-");

        assertThatThrownBy(() -> new IrqAffinity(tree.host()).affinity(9))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("/proc/irq/9/smp_affinity_list");
    }

    @Test
    void realHostListsIrqsAndReadsTheirAffinity() {
        IrqAffinity irq = new IrqAffinity(HostRoot.system());

        for (int n : irq.irqs()) {
            if (HostRoot.system().exists("/proc/irq/" + n + "/smp_affinity_list")) {
                assertThat(irq.affinity(n)).isEqualTo(CpuSet.parseMask(HostRoot.system().read("/proc/irq/" + n + "/smp_affinity")));
            }
        }
        assertThat(irq.defaultAffinity().isEmpty()).isFalse();
    }
}
