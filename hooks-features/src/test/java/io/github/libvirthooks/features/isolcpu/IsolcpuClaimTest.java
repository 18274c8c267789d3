package io.github.libvirthooks.features.isolcpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.isolcpu.IsolcpuOptions.Backend;
import io.github.libvirthooks.sysfs.cgroup.CpusetPartition;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class IsolcpuClaimTest {
    /** A claim exactly as release 1 (fdb839c) wrote it, every kind of setting included. */
    static Map<String, String> release1() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("cpus", "2-3,6-7");
        v.put("backend", "cgroup");
        v.put("groups", "slices,partition,workqueue,irq,timer-migration");
        v.put("partition", "isolated");
        v.put("orig:subtree-control:/sys/fs/cgroup/cgroup.subtree_control", "-cpuset");
        v.put("orig:host-cpuset:/sys/fs/cgroup/system.slice/cpuset.cpus", "");
        v.put("orig:host-cpuset:/sys/fs/cgroup/user.slice/cpuset.cpus", "0-6");
        v.put("orig:vms-cpuset:/sys/fs/cgroup/machine.slice/cpuset.cpus", "");
        v.put("orig:partition:/sys/fs/cgroup/machine.slice/cpuset.cpus.partition", "member");
        v.put("orig:workqueue:/sys/bus/workqueue/devices/writeback/cpumask", "ff");
        v.put("orig:workqueue:/sys/devices/virtual/workqueue/cpumask", "ff");
        v.put("orig:irq-default:/proc/irq/default_smp_affinity", "ff");
        v.put("orig:irq:/proc/irq/24/smp_affinity_list", "0-7");
        v.put("orig:timer-migration:/proc/sys/kernel/timer_migration", "1");
        return v;
    }

    @Test
    void aRelease1ClaimDecodesAndEncodesBackToTheSameKeysAndValues() {
        IsolcpuClaim claim = IsolcpuClaim.CODEC.decode("cpus", release1());

        assertThat(claim.cpus()).isEqualTo(CpuSet.parseList("2-3,6-7"));
        assertThat(claim.backend()).isEqualTo(Backend.CGROUP);
        assertThat(claim.partition()).contains(CpusetPartition.ISOLATED);
        assertThat(claim.groups()).containsExactlyInAnyOrder(Knob.Group.values());
        assertThat(claim.originals()).hasSize(10).containsEntry(new Knob(Knob.Kind.IRQ, "/proc/irq/24/smp_affinity_list"), "0-7");
        assertThat(IsolcpuClaim.CODEC.encode(claim)).isEqualTo(release1());
    }

    @Test
    void aSystemdClaimAndAPartitionThatFailedDecodeAsRelease1WroteThem() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("cpus", "3,7");
        v.put("backend", "systemd");
        v.put("groups", "slices");
        v.put("partition", "root");
        v.put("orig:host-unit:init.scope", "");
        v.put("orig:host-unit:system.slice", "0-5");
        v.put("orig:vms-unit:machine.slice", "");

        IsolcpuClaim claim = IsolcpuClaim.CODEC.decode("cpus", v);

        assertThat(claim.backend()).isEqualTo(Backend.SYSTEMD);
        assertThat(claim.groups()).containsExactly(Knob.Group.SLICES);
        assertThat(claim.partition()).contains(CpusetPartition.ROOT);
        assertThat(IsolcpuClaim.CODEC.encode(claim)).isEqualTo(v);
    }

    @Test
    void plantedOrDamagedValuesAreRefusedNotWrittenAnywhere() {
        for (Map.Entry<String, String> bad : Map.of(
                "orig:host-cpuset:/etc/passwd", "0",
                "orig:host-cpuset:/sys/fs/cgroup/../../etc/cpuset.cpus", "0",
                "orig:irq:/proc/irq/24/../../sys/kernel/foo", "0",
                "orig:workqueue:/etc/cpumask", "ff",
                "orig:host-unit:evil.service", "",
                "orig:timer-migration:/proc/sys/kernel/timer_migration", "yes",
                "orig:unknown-kind:/sys/x", "1",
                "something", "else").entrySet()) {
            Map<String, String> v = release1();
            v.put(bad.getKey(), bad.getValue());
            assertThatThrownBy(() -> IsolcpuClaim.CODEC.decode("cpus", v)).as(bad.getKey()).isInstanceOf(IllegalArgumentException.class);
        }
        Map<String, String> noCpus = release1();
        noCpus.remove("cpus");
        assertThatThrownBy(() -> IsolcpuClaim.CODEC.decode("cpus", noCpus)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IsolcpuClaim.CODEC.decode("other", release1())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void statusNamesEachOriginalByItsFileOrUnitNotByAJournalKey() {
        IsolcpuClaim claim = new IsolcpuClaim(CpuSet.of(3), Backend.SYSTEMD, java.util.Set.of(), Optional.empty(),
                Map.of(new Knob(Knob.Kind.HOST_UNIT, "system.slice"), "0-5"));

        assertThat(IsolcpuClaim.CODEC.describe(claim)).containsExactly(Map.entry("cpus", "3"), Map.entry("backend", "systemd"),
                Map.entry("isolates", "slices"), Map.entry("original system.slice AllowedCPUs", "0-5"));
    }
}
