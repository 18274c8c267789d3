package io.github.libvirthooks.features.isolcpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.isolcpu.IsolcpuOptions.Backend;
import io.github.libvirthooks.sysfs.cgroup.CpusetPartition;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IsolationTargetTest {
    static final Knob SYSTEM = new Knob(Knob.Kind.HOST_CPUSET, "/sys/fs/cgroup/system.slice/cpuset.cpus");
    static final Knob TIMER = new Knob(Knob.Kind.TIMER_MIGRATION, "/proc/sys/kernel/timer_migration");
    static final Knob IRQ = new Knob(Knob.Kind.IRQ, "/proc/irq/24/smp_affinity_list");
    static final Knob WORKQUEUE = new Knob(Knob.Kind.WORKQUEUE, "/sys/devices/virtual/workqueue/cpumask");
    static final Map<Knob, String> ORIGINALS = Map.of(SYSTEM, "", TIMER, "1", IRQ, "0,3", WORKQUEUE, "ff");
    static final CpuSet ONLINE = CpuSet.range(0, 7);

    static IsolcpuClaim claim(String cpus, Set<Knob.Group> groups, Map<Knob, String> originals) {
        return new IsolcpuClaim(CpuSet.parseList(cpus), Backend.CGROUP, groups, Optional.empty(), originals);
    }

    @Test
    void othersPlusMeGiveTheHostTheCpusNoClaimHolds() {
        IsolcpuClaim me = claim("2,6", Set.of(Knob.Group.TIMER_MIGRATION, Knob.Group.IRQ, Knob.Group.WORKQUEUE), ORIGINALS);
        IsolcpuClaim other = claim("3,7", Set.of(), Map.of(SYSTEM, ""));

        IsolationTarget target = IsolationTarget.of(List.of(me, other), ONLINE, 8, ORIGINALS);

        assertThat(target.hostCpus()).isEqualTo(CpuSet.parseList("0-1,4-5"));
        assertThat(target.values()).containsEntry(SYSTEM, "0-1,4-5").containsEntry(TIMER, "0").containsEntry(WORKQUEUE, "33")
                .as("an interrupt keeps the host CPUs it had").containsEntry(IRQ, "0");
        assertThat(target.isolated()).containsExactlyInAnyOrder(SYSTEM, TIMER, IRQ, WORKQUEUE);
        assertThat(target.partition()).isEqualTo(CpusetPartition.ISOLATED);
    }

    @Test
    void releaseConvergesToTheOthersAndPutsBackWhatNoRemainingClaimAsksForOrHolds() {
        IsolcpuClaim other = claim("3,7", Set.of(Knob.Group.IRQ), Map.of(SYSTEM, "", WORKQUEUE, "ff"));

        IsolationTarget target = IsolationTarget.of(List.of(other), ONLINE, 8, ORIGINALS);

        assertThat(target.values()).containsEntry(SYSTEM, "0-2,4-6")
                .as("the other asks for no timer migration").containsEntry(TIMER, "1")
                .as("the other asks for interrupts but does not hold this one's original").containsEntry(IRQ, "0,3")
                .as("held, but not asked for").containsEntry(WORKQUEUE, "ff");
        assertThat(target.isolated()).containsExactly(SYSTEM);
    }

    @Test
    void theLastReleasePutsEveryOriginalBack() {
        IsolationTarget target = IsolationTarget.of(List.of(), CpuSet.empty(), 1, ORIGINALS);

        assertThat(target.values()).isEqualTo(ORIGINALS);
        assertThat(target.isolated()).isEmpty();
        assertThat(target.hostCpus()).isEqualTo(CpuSet.empty());
    }

    @Test
    void valuesComeInApplyOrderAndThePartitionIsTheFirstClaimsThatAsks() {
        Knob partition = new Knob(Knob.Kind.PARTITION, "/sys/fs/cgroup/machine.slice/cpuset.cpus.partition");
        IsolcpuClaim root = new IsolcpuClaim(CpuSet.of(2), Backend.CGROUP, Set.of(Knob.Group.PARTITION), Optional.of(CpusetPartition.ROOT),
                Map.of(partition, "member", SYSTEM, ""));

        IsolationTarget target = IsolationTarget.of(List.of(claim("3", Set.of(), Map.of()), root), ONLINE, 8,
                Map.of(partition, "member", SYSTEM, ""));

        assertThat(target.values().keySet()).containsExactly(SYSTEM, partition);
        assertThat(target.values()).containsEntry(partition, "root");
    }
}
