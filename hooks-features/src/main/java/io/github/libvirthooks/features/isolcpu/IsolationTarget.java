package io.github.libvirthooks.features.isolcpu;

import io.github.libvirthooks.sysfs.cgroup.CpusetPartition;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The host state that the isolating VMs' claims ask for, computed and nothing else: apply
 * converges to the target of "the other VMs and this one", release to that of "the other VMs",
 * and with no claim left every knob gets its original back. Plan shows the writes apply would
 * make, that is the difference between this target and the host today.
 *
 * <p>A knob is isolated while some claim asks for its group and some claim holds its original,
 * so that the release of the VM that holds it last can put the original back.
 *
 * @param vmCpus    the union of the claims' CPUs
 * @param hostCpus  the online CPUs no claim holds; empty when no claim is left
 * @param partition the partition type the VMs' cgroup takes: the first claim's that asks for one, else isolated
 * @param values    each knob's target value, in apply order, in the form {@link KnobFiles} writes
 * @param isolated  the knobs whose target is an isolated value, not their original
 */
record IsolationTarget(CpuSet vmCpus, CpuSet hostCpus, CpusetPartition partition, Map<Knob, String> values, Set<Knob> isolated) {

    IsolationTarget {
        values = Collections.unmodifiableMap(new TreeMap<>(values));
        isolated = Set.copyOf(isolated);
    }

    /**
     * The target of the knobs in {@code originals}.
     *
     * @param claims    every claim that stays (the others', and at apply this VM's first)
     * @param online    the online CPUs; not read when {@code claims} is empty
     * @param nrCpuIds  how many bits a CPU mask has ({@code nr_cpu_ids})
     * @param originals the knobs to compute, with their originals (an interrupt keeps the host CPUs it had)
     */
    static IsolationTarget of(List<IsolcpuClaim> claims, CpuSet online, int nrCpuIds, Map<Knob, String> originals) {
        CpuSet vmCpus = claims.stream().map(IsolcpuClaim::cpus).reduce(CpuSet.empty(), CpuSet::union);
        CpuSet hostCpus = claims.isEmpty() ? CpuSet.empty() : online.difference(vmCpus);
        Set<Knob.Group> groups = EnumSet.noneOf(Knob.Group.class);
        Set<Knob> held = new HashSet<>();
        for (IsolcpuClaim claim : claims) {
            groups.addAll(claim.groups());
            held.addAll(claim.originals().keySet());
        }
        CpusetPartition partition = claims.stream().map(IsolcpuClaim::partition).flatMap(Optional::stream).findFirst()
                .orElse(CpusetPartition.ISOLATED);
        Map<Knob, String> values = new TreeMap<>();
        Set<Knob> isolated = new HashSet<>();
        originals.forEach((knob, original) -> {
            if (groups.contains(knob.group()) && held.contains(knob)) {
                values.put(knob, isolatedValue(knob, hostCpus, vmCpus, partition, nrCpuIds, original));
                isolated.add(knob);
            } else {
                values.put(knob, original);
            }
        });
        return new IsolationTarget(vmCpus, hostCpus, partition, values, isolated);
    }

    private static String isolatedValue(Knob knob, CpuSet hostCpus, CpuSet vmCpus, CpusetPartition partition, int nrCpuIds,
            String original) {
        return switch (knob.kind()) {
            case SUBTREE_CONTROL -> KnobFiles.SUBTREE_ENABLE;
            case HOST_CPUSET, HOST_UNIT -> hostCpus.toList();
            case IRQ -> {
                CpuSet kept = parseOrEmpty(original).intersection(hostCpus);
                yield (kept.isEmpty() ? hostCpus : kept).toList();
            }
            case VMS_CPUSET, VMS_UNIT -> vmCpus.toList();
            case PARTITION -> partition.kernelName();
            case WORKQUEUE, IRQ_DEFAULT -> hostCpus.toMask(nrCpuIds);
            case TIMER_MIGRATION -> "0";
        };
    }

    private static CpuSet parseOrEmpty(String list) {
        try {
            return CpuSet.parseList(list);
        } catch (IllegalArgumentException e) {
            return CpuSet.empty();
        }
    }
}
