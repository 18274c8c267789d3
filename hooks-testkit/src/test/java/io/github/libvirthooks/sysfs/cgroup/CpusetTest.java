package io.github.libvirthooks.sysfs.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import io.github.libvirthooks.testkit.FakeHost;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpusetTest {
    private static final String SLICE = "/sys/fs/cgroup/machine.slice";

    @TempDir
    Path dir;
    FakeHost tree;
    Cgroup root;
    Cpuset slice;

    @BeforeEach
    void setUp() {
        tree = FakeHost.at(dir).cgroup2();
        root = tree.rootCgroup();
        tree.cgroup("machine.slice", "cpuset cpu").cpusetFiles("machine.slice", "2-7", "member");
        slice = root.child("machine.slice").cpuset();
    }

    @Test
    void readsCpusAsASet() {
        assertThat(slice.cpus()).isEqualTo(CpuSet.range(2, 7));
    }

    @Test
    void emptyCpusMeansInheritAndReadsAsTheEmptySet() {
        tree.file(SLICE + "/cpuset.cpus", "");

        assertThat(slice.cpus()).isEqualTo(CpuSet.empty());
    }

    @Test
    void setCpusWritesTheListFormatAndReturnsTheChange() {
        Change change = slice.setCpus(CpuSet.of(2, 3, 4, 5, 8));

        assertThat(change).isEqualTo(new Change(SLICE + "/cpuset.cpus", "2-7", "2-5,8"));
        assertThat(tree.content(SLICE + "/cpuset.cpus")).isEqualTo("2-5,8");
    }

    @Test
    void settingNoCpusWritesTheEmptyListTheKernelParsesAndGivesTheParentsCpusBack() {
        Change change = slice.setCpus(CpuSet.empty());

        assertThat(change.after()).isEqualTo("\n");
        assertThat(slice.cpus()).isEqualTo(CpuSet.empty());
    }

    @Test
    void beforeTheControllerIsEnabledTheCpusAreTheParentsAndNoPartitionIsOffered() {
        tree.cgroup("system.slice", "cpu");
        Cpuset system = root.child("system.slice").cpuset();

        assertThat(system.cpusOrParents()).isEqualTo(CpuSet.empty());
        assertThat(system.offersPartition()).isFalse();
        assertThat(slice.cpusOrParents()).isEqualTo(CpuSet.range(2, 7));
        assertThat(slice.offersPartition()).isTrue();
    }

    @Test
    void withoutTheControllerEveryFileSaysHowToEnableIt() {
        tree.cgroup("system.slice", "cpu");
        Cpuset system = root.child("system.slice").cpuset();

        assertThat(system.isEnabled()).isFalse();
        assertThat(slice.isEnabled()).isTrue();
        assertThatThrownBy(() -> system.setCpus(CpuSet.of(0)))
                .isInstanceOf(CgroupException.class)
                .hasMessage("cgroup system.slice has no cpuset.cpus: the cpuset controller is not enabled for it"
                        + " (write +cpuset to /sys/fs/cgroup/cgroup.subtree_control), or the kernel lacks cpuset support (CONFIG_CPUSETS)");
        assertThatThrownBy(system::partition).hasMessageContaining("has no cpuset.cpus.partition");
    }

    @Test
    void theRootCgroupExplainsItHasNoCpusFile() {
        assertThatThrownBy(() -> root.cpuset().setCpus(CpuSet.of(0)))
                .hasMessageContaining("the root cgroup (/sys/fs/cgroup) has no cpuset.cpus")
                .hasMessageContaining("use a child cgroup");
        assertThat(root.cpuset().isEnabled()).isTrue();
    }

    @Test
    void malformedCpuListIsNamedWithItsFile() {
        tree.file(SLICE + "/cpuset.cpus", "2-x");

        assertThatThrownBy(slice::cpus)
                .isInstanceOf(CgroupException.class)
                .hasMessageStartingWith(SLICE + "/cpuset.cpus: invalid cpu list '2-x'");
    }

    @Test
    void readsValidPartitionStates() {
        assertThat(slice.partition()).isEqualTo(CpusetPartitionState.valid(CpusetPartition.MEMBER));
        tree.file(SLICE + "/cpuset.cpus.partition", "isolated");
        assertThat(slice.partition()).isEqualTo(CpusetPartitionState.valid(CpusetPartition.ISOLATED));
    }

    @Test
    void readsInvalidPartitionStatesWithTheKernelsReason() {
        tree.file(SLICE + "/cpuset.cpus.partition", "root invalid (Cpu list in cpuset.cpus not exclusive)");
        CpusetPartitionState state = slice.partition();

        assertThat(state.partition()).isEqualTo(CpusetPartition.ROOT);
        assertThat(state.valid()).isFalse();
        assertThat(state.reason()).isEqualTo("Cpu list in cpuset.cpus not exclusive");

        tree.file(SLICE + "/cpuset.cpus.partition", "isolated invalid (Parent is not a partition root)");
        assertThat(slice.partition()).isEqualTo(CpusetPartitionState.invalid(CpusetPartition.ISOLATED, "Parent is not a partition root"));
    }

    @Test
    void oldKernelsInvalidStateWithoutReasonHasAnEmptyReason() {
        tree.file(SLICE + "/cpuset.cpus.partition", "root invalid");

        assertThat(slice.partition()).isEqualTo(CpusetPartitionState.invalid(CpusetPartition.ROOT, ""));
    }

    @Test
    void unknownPartitionTextIsAClearError() {
        tree.file(SLICE + "/cpuset.cpus.partition", "rooted");

        assertThatThrownBy(slice::partition)
                .isInstanceOf(CgroupException.class)
                .hasMessageContaining(SLICE + "/cpuset.cpus.partition: invalid cpuset partition state 'rooted'");
    }

    @Test
    void setPartitionWritesTheKernelWord() {
        Change change = slice.setPartition(CpusetPartition.ISOLATED);

        assertThat(change).isEqualTo(new Change(SLICE + "/cpuset.cpus.partition", "member", "isolated"));
        assertThat(tree.content(SLICE + "/cpuset.cpus.partition")).isEqualTo("isolated");
    }

    @Test
    void setPartitionOverAnInvalidOneRecordsAWritableBefore() {
        tree.file(SLICE + "/cpuset.cpus.partition", "root invalid (Cpu list in cpuset.cpus not exclusive)");

        Change change = slice.setPartition(CpusetPartition.MEMBER);

        assertThat(change).isEqualTo(new Change(SLICE + "/cpuset.cpus.partition", "root", "member"));
    }

    @Test
    void partitionStatesFormatExactlyAsTheKernelPrints() {
        for (String text : new String[] {"member", "root", "isolated", "root invalid", "isolated invalid (No cpu available due to hotplug)"}) {
            assertThat(CpusetPartitionState.parse(text + "\n")).hasToString(text);
        }
    }

    @Test
    void aMemberCannotBeInvalid() {
        assertThatThrownBy(() -> CpusetPartitionState.parse("member invalid (x)")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CpusetPartitionState.invalid(CpusetPartition.MEMBER, "x")).isInstanceOf(IllegalArgumentException.class);
    }
}
