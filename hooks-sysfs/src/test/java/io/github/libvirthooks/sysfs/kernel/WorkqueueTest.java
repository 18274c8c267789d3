package io.github.libvirthooks.sysfs.kernel;

import io.github.libvirthooks.sysfs.FakeTree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkqueueTest {
    private static final String WRITEBACK = "/sys/bus/workqueue/devices/writeback/cpumask";

    @TempDir
    Path tmp;

    private FakeTree tree64() {
        return new FakeTree(tmp)
                .file("/sys/devices/system/cpu/possible", "0-63")
                .file("/sys/devices/system/cpu/online", "0-63")
                .file(Workqueue.UNBOUND_CPUMASK, "ffffffff,ffffffff")
                .file(WRITEBACK, "ffffffff,ffffffff");
    }

    @Test
    void aWorkqueuesCpumaskPathNamesItBothWays() {
        assertThat(Workqueue.cpumaskPath("writeback")).isEqualTo(WRITEBACK);
        assertThat(Workqueue.nameOfCpumask(WRITEBACK)).contains("writeback");
        assertThat(Workqueue.nameOfCpumask("/sys/bus/workqueue/devices/../../../etc/cpumask")).isEmpty();
        assertThat(Workqueue.nameOfCpumask("/etc/passwd")).isEmpty();
        assertThat(Workqueue.nameOfCpumask(Workqueue.UNBOUND_CPUMASK)).isEmpty();
        assertThat(new Workqueue(tree64().host()).offersUnboundCpumask()).isTrue();
        assertThat(new Workqueue(new FakeTree(tmp.resolve("bare")).dir("/sys").host()).offersUnboundCpumask()).isFalse();
    }

    @Test
    void readsMasks() {
        Workqueue wq = new Workqueue(tree64().host());

        assertThat(wq.unboundCpumask()).isEqualTo(CpuSet.range(0, 63));
        assertThat(wq.cpumask("writeback")).isEqualTo(CpuSet.range(0, 63));
        assertThat(wq.exposes("writeback")).isTrue();
        assertThat(wq.exposes("blkcg_punt_bio")).isFalse();
    }

    @Test
    void writesMaskAsWideAsTheKernelPrintsIt() {
        FakeTree tree = tree64();
        Change change = new Workqueue(tree.host()).setUnboundCpumask(CpuSet.of(0, 1, 32));

        assertThat(change).isEqualTo(new Change(Workqueue.UNBOUND_CPUMASK, "ffffffff,ffffffff", "00000001,00000003"));
        assertThat(tree.content(Workqueue.UNBOUND_CPUMASK)).isEqualTo("00000001,00000003");
    }

    @Test
    void writebackMask() {
        FakeTree tree = tree64();
        Change change = new Workqueue(tree.host()).setCpumask("writeback", CpuSet.range(0, 3));

        assertThat(change).isEqualTo(new Change(WRITEBACK, "ffffffff,ffffffff", "00000000,0000000f"));
    }

    @Test
    void widthComesFromTheMaskWhenPossibleIsMissing() {
        HostRoot host = new FakeTree(tmp).file(Workqueue.UNBOUND_CPUMASK, "fff").host();

        assertThat(new Workqueue(host).setUnboundCpumask(CpuSet.of(0)).after()).isEqualTo("001");
        assertThat(Workqueue.maskWidth("ff,ffffffff")).isEqualTo(40);
    }

    @Test
    void refusesEmptyOfflineAndImpossibleCpus() {
        FakeTree tree = new FakeTree(tmp)
                .file("/sys/devices/system/cpu/possible", "0-7")
                .file("/sys/devices/system/cpu/online", "0-3")
                .file(Workqueue.UNBOUND_CPUMASK, "ff");
        Workqueue wq = new Workqueue(tree.host());

        assertThatThrownBy(() -> wq.setUnboundCpumask(CpuSet.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no CPU");
        assertThatThrownBy(() -> wq.setUnboundCpumask(CpuSet.of(5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("none of them is online");
        assertThatThrownBy(() -> wq.setUnboundCpumask(CpuSet.of(1, 9)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beyond the host's 8 possible CPUs");
        assertThat(tree.content(Workqueue.UNBOUND_CPUMASK)).isEqualTo("ff\n");
    }

    @Test
    void malformedMaskNamesTheFile() {
        HostRoot host = new FakeTree(tmp).file(Workqueue.UNBOUND_CPUMASK, "zz").host();

        assertThatThrownBy(() -> new Workqueue(host).unboundCpumask())
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining(Workqueue.UNBOUND_CPUMASK);
    }

    @Test
    void missingFilesAndBadNames() {
        Workqueue wq = new Workqueue(HostRoot.at(tmp));

        assertThatThrownBy(wq::unboundCpumask)
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("does not offer the workqueue cpumask");
        assertThatThrownBy(() -> wq.cpumask("writeback"))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("workqueue 'writeback'");
        assertThatThrownBy(() -> wq.cpumask("../../../etc"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
