package io.github.libvirthooks.sysfs.cpu;

import io.github.libvirthooks.sysfs.FakeTree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuTopologyTest {
    @TempDir
    Path tmp;

    /**
     * Two packages of four cores with two threads each, siblings numbered n and n+8 (as on
     * many Intel servers), core_id repeating in each package, one node per package, CPU 15
     * offline (no topology directory).
     */
    private FakeTree twoSocketsSiblingsApart() {
        FakeTree tree = new FakeTree(tmp)
                .file("/sys/devices/system/cpu/online", "0-14")
                .file("/sys/devices/system/cpu/possible", "0-15")
                .file("/sys/devices/system/cpu/present", "0-15")
                .file("/sys/devices/system/node/online", "0-1")
                .file("/sys/devices/system/node/has_memory", "0-1")
                .file("/sys/devices/system/node/node0/cpulist", "0-3,8-11")
                .file("/sys/devices/system/node/node1/cpulist", "4-7,12-14");
        for (int cpu = 0; cpu < 15; cpu++) {
            int core = cpu % 8;
            String t = "/sys/devices/system/cpu/cpu" + cpu + "/topology/";
            tree.file(t + "core_id", String.valueOf(core % 4))
                    .file(t + "physical_package_id", String.valueOf(core / 4))
                    .file(t + "die_id", "0")
                    .file(t + "thread_siblings_list", core + "," + (core + 8));
        }
        tree.dir("/sys/devices/system/cpu/cpu15");
        return tree;
    }

    @Test
    void groupsThreadsBySiblingListNotByNumberOrCoreId() {
        CpuTopology topology = CpuTopology.read(twoSocketsSiblingsApart().host());

        assertThat(topology.siblingsOf(0)).isEqualTo(CpuSet.of(0, 8));
        assertThat(topology.siblingsOf(4)).isEqualTo(CpuSet.of(4, 12));
        assertThat(topology.physicalCores()).containsExactly(
                CpuSet.of(0, 8), CpuSet.of(1, 9), CpuSet.of(2, 10), CpuSet.of(3, 11),
                CpuSet.of(4, 12), CpuSet.of(5, 13), CpuSet.of(6, 14), CpuSet.of(7));
        assertThat(topology.cpu(4).orElseThrow()).isEqualTo(new Cpu(4, 0, 1, 1, CpuSet.of(4, 12), 0));
    }

    @Test
    void offlineCpuHasNoRecordAndIsLeftOutOfItsSiblings() {
        CpuTopology topology = CpuTopology.read(twoSocketsSiblingsApart().host());

        assertThat(topology.online()).isEqualTo(CpuSet.range(0, 14));
        assertThat(topology.possible()).isEqualTo(CpuSet.range(0, 15));
        assertThat(topology.nrCpuIds()).isEqualTo(16);
        assertThat(topology.cpu(15)).isEmpty();
        assertThat(topology.siblingsOf(7)).isEqualTo(CpuSet.of(7));
        assertThat(topology.cpus()).hasSize(15);
        assertThatThrownBy(() -> topology.siblingsOf(15))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CPU 15 is not online");
    }

    @Test
    void mapsCpusToNodes() {
        CpuTopology topology = CpuTopology.read(twoSocketsSiblingsApart().host());

        assertThat(topology.nodes()).isEqualTo(CpuSet.of(0, 1));
        assertThat(topology.nodesWithMemory()).isEqualTo(CpuSet.of(0, 1));
        assertThat(topology.cpusOfNode(1)).isEqualTo(CpuSet.parseList("4-7,12-14"));
        assertThat(topology.nodeOf(9)).isEqualTo(0);
        assertThat(topology.nodeOf(12)).isEqualTo(1);
        assertThatThrownBy(() -> topology.cpusOfNode(3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NUMA node 3 is not online");
    }

    @Test
    void splitCoresFindsCoresSharedBetweenTheSetAndTheRest() {
        CpuTopology topology = CpuTopology.read(twoSocketsSiblingsApart().host());

        assertThat(topology.splitCores(CpuSet.parseList("0-3,8-11"))).isEmpty();
        assertThat(topology.splitCores(CpuSet.parseList("2-5"))).containsExactly(
                new SplitCore(CpuSet.of(2, 10), CpuSet.of(2), CpuSet.of(10)),
                new SplitCore(CpuSet.of(3, 11), CpuSet.of(3), CpuSet.of(11)),
                new SplitCore(CpuSet.of(4, 12), CpuSet.of(4), CpuSet.of(12)),
                new SplitCore(CpuSet.of(5, 13), CpuSet.of(5), CpuSet.of(13)));
        assertThat(topology.splitCores(CpuSet.of(7))).as("core 7's sibling 15 is offline").isEmpty();
    }

    @Test
    void adjacentSiblingNumberingWorksToo() {
        FakeTree tree = new FakeTree(tmp).file("/sys/devices/system/cpu/online", "0-3");
        for (int cpu = 0; cpu < 4; cpu++) {
            tree.file("/sys/devices/system/cpu/cpu" + cpu + "/topology/thread_siblings_list", (cpu & ~1) + "-" + (cpu | 1))
                    .file("/sys/devices/system/cpu/cpu" + cpu + "/topology/core_id", String.valueOf(cpu / 2))
                    .file("/sys/devices/system/cpu/cpu" + cpu + "/topology/physical_package_id", "-1");
        }
        CpuTopology topology = CpuTopology.read(tree.host());

        assertThat(topology.physicalCores()).containsExactly(CpuSet.of(0, 1), CpuSet.of(2, 3));
        assertThat(topology.splitCores(CpuSet.of(1, 2, 3)))
                .containsExactly(new SplitCore(CpuSet.of(0, 1), CpuSet.of(1), CpuSet.of(0)));
        Cpu cpu3 = topology.cpu(3).orElseThrow();
        assertThat(cpu3.packageId()).isEqualTo(-1);
        assertThat(cpu3.dieId()).as("no die_id file").isEqualTo(-1);
    }

    @Test
    void kernelWithoutNumaHasOneNodeZeroWithAllOnlineCpus() {
        FakeTree tree = new FakeTree(tmp)
                .file("/sys/devices/system/cpu/online", "0-1")
                .file("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list", "0")
                .dir("/sys/devices/system/cpu/cpu1");
        CpuTopology topology = CpuTopology.read(tree.host());

        assertThat(topology.nodes()).isEqualTo(CpuSet.of(0));
        assertThat(topology.nodesWithMemory()).isEqualTo(CpuSet.of(0));
        assertThat(topology.cpusOfNode(0)).isEqualTo(CpuSet.of(0, 1));
        assertThat(topology.nodeOf(1)).isEqualTo(0);
        assertThat(topology.possible()).as("falls back to online").isEqualTo(CpuSet.of(0, 1));
        assertThat(topology.cpu(1).orElseThrow())
                .as("online CPU without a topology directory")
                .isEqualTo(new Cpu(1, -1, -1, 0, CpuSet.of(1), -1));
    }

    @Test
    void memoryOnlyNodeHasNoCpus() {
        FakeTree tree = new FakeTree(tmp)
                .file("/sys/devices/system/cpu/online", "0")
                .file("/sys/devices/system/node/online", "0,2")
                .file("/sys/devices/system/node/has_memory", "0,2")
                .file("/sys/devices/system/node/node0/cpulist", "0")
                .file("/sys/devices/system/node/node2/cpulist", "");
        CpuTopology topology = CpuTopology.read(tree.host());

        assertThat(topology.nodes()).isEqualTo(CpuSet.of(0, 2));
        assertThat(topology.cpusOfNode(2)).isEqualTo(CpuSet.empty());
        assertThat(topology.nodesWithMemory()).isEqualTo(CpuSet.of(0, 2));
    }

    @Test
    void nodesAreListedFromDirectoriesWhenNodeOnlineIsMissing() {
        FakeTree tree = new FakeTree(tmp)
                .file("/sys/devices/system/cpu/online", "0-1")
                .file("/sys/devices/system/node/node0/cpulist", "0")
                .file("/sys/devices/system/node/node1/cpulist", "1")
                .dir("/sys/devices/system/node/power");
        CpuTopology topology = CpuTopology.read(tree.host());

        assertThat(topology.nodes()).isEqualTo(CpuSet.of(0, 1));
        assertThat(topology.nodeOf(1)).isEqualTo(1);
    }

    @Test
    void missingOnlineFileIsAClearError() {
        new FakeTree(tmp).dir("/sys/devices/system/cpu");

        assertThatThrownBy(() -> CpuTopology.read(HostRoot.at(tmp)))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("/sys/devices/system/cpu/online is missing");
    }

    @Test
    void malformedSiblingListNamesTheFile() {
        FakeTree tree = new FakeTree(tmp)
                .file("/sys/devices/system/cpu/online", "0")
                .file("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list", "0-x");

        assertThatThrownBy(() -> CpuTopology.read(tree.host()))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list")
                .hasMessageContaining("not a cpu number");
    }

    @Test
    void malformedCoreIdNamesTheFile() {
        FakeTree tree = new FakeTree(tmp)
                .file("/sys/devices/system/cpu/online", "0")
                .file("/sys/devices/system/cpu/cpu0/topology/core_id", "zero");

        assertThatThrownBy(() -> CpuTopology.read(tree.host()))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("core_id");
    }

    @Test
    void realHostEveryOnlineCpuHasANode() {
        CpuTopology topology = CpuTopology.read(HostRoot.system());

        assertThat(topology.online().isEmpty()).isFalse();
        assertThat(topology.cpus()).hasSize(topology.online().size());
        for (Cpu cpu : topology.cpus()) {
            assertThat(cpu.node()).as("node of cpu %d", cpu.id()).isGreaterThanOrEqualTo(0);
            assertThat(topology.cpusOfNode(cpu.node()).contains(cpu.id())).isTrue();
            assertThat(cpu.siblings().contains(cpu.id())).isTrue();
        }
        CpuSet union = topology.physicalCores().stream().reduce(CpuSet.empty(), CpuSet::union);
        assertThat(union).isEqualTo(topology.online());
    }
}
