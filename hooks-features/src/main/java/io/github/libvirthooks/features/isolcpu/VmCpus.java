package io.github.libvirthooks.features.isolcpu;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The host CPUs a VM's guest runs on, which isolcpu keeps host work off: the {@code cpus}
 * option, else the CPUs libvirt pins the vCPUs online at start to ({@code <vcpupin>}, with
 * {@code <vcpu cpuset>} for vCPUs without a pin). {@code <emulatorpin>} and {@code <iothreadpin>}
 * count only when asked ({@code include="emulator,iothreads"}): guides pin them to host cores on
 * purpose. Refused when some online vCPU's CPUs are unknown at {@code prepare}: it floats over
 * every CPU, or numad places it ({@code placement='auto'}).
 *
 * @param cpus  the VM's CPUs
 * @param notes what was left out, for the report
 */
public record VmCpus(CpuSet cpus, List<String> notes) {
    public VmCpus {
        notes = List.copyOf(notes);
    }

    /** The VM's CPUs as isolcpu computes them without options: its vCPUs' pins (other features tune the same CPUs). */
    public static VmCpus pinned(Domain domain) {
        return of(domain, IsolcpuOptions.parse(java.util.Map.of()));
    }

    static VmCpus of(Domain domain, IsolcpuOptions options) {
        if (options.cpus().isPresent()) {
            return new VmCpus(options.cpus().get(), List.of());
        }
        Domain.VcpuPlacement placement = domain.vcpuPlacement();
        CpuSet online = placement.online();
        CpuSet cpus = CpuSet.empty();
        List<Integer> unknown = new ArrayList<>();
        for (int vcpu : online.stream().toArray()) {
            Optional<CpuSet> pinned = domain.vcpuCpus(vcpu);
            if (pinned.isPresent()) {
                cpus = cpus.union(pinned.get());
            } else {
                unknown.add(vcpu);
            }
        }
        List<String> notes = new ArrayList<>();
        if (!unknown.isEmpty()) {
            throw new FeatureException(unknownVcpus(domain, online, unknown, cpus.isEmpty()));
        }
        CpuSet offline = CpuSet.range(0, domain.vcpus() - 1).difference(online);
        if (!offline.isEmpty()) {
            notes.add("vCPUs " + offline + " start disabled (hot-pluggable): their pins are not isolated");
        }
        Optional<CpuSet> emulator = domain.emulatorPin().or(() -> placement.auto() ? Optional.empty() : placement.cpuset());
        if (options.include().contains(IsolcpuOptions.EMULATOR)) {
            if (emulator.isEmpty()) {
                throw new FeatureException("include=\"emulator\", but " + domain.name() + " does not pin its emulator"
                        + " (no <emulatorpin> or <vcpu cpuset>); add <emulatorpin cpuset=\"...\"/> or leave emulator out");
            }
            cpus = cpus.union(emulator.get());
        } else if (emulator.isPresent() && !cpus.containsAll(emulator.get())) {
            notes.add("the emulator's CPUs " + emulator.get() + " (<emulatorpin>) stay host CPUs; include=\"emulator\" isolates them too");
        }
        CpuSet iothreads = domain.iothreadPins().values().stream().reduce(CpuSet.empty(), CpuSet::union);
        if (options.include().contains(IsolcpuOptions.IOTHREADS)) {
            cpus = cpus.union(iothreads);
        } else if (!cpus.containsAll(iothreads)) {
            notes.add("the IOThreads' CPUs " + iothreads + " (<iothreadpin>) stay host CPUs; include=\"iothreads\" isolates them too");
        }
        return new VmCpus(cpus, notes);
    }

    private static String unknownVcpus(Domain domain, CpuSet online, List<Integer> unknown, boolean nonePinned) {
        String name = domain.name();
        String fix = "name the VM's CPUs with <isolcpu cpus=\"2-7\"/>";
        if (domain.vcpuPlacement().auto()) {
            boolean nothing = nonePinned && domain.emulatorPin().isEmpty() && domain.iothreadPins().isEmpty();
            return (nothing ? name + " pins no CPUs: " : "")
                    + "<vcpu placement='auto'> lets numad choose the CPUs of " + name + "'s vCPUs when it starts, so they are"
                    + " unknown at prepare; pin them with <vcpupin>, or " + fix;
        }
        if (nonePinned) {
            return name + " pins no CPUs (no <vcpupin> and no <vcpu cpuset>): its " + online.size() + " vCPU"
                    + (online.size() == 1 ? "" : "s") + " float over every host CPU; pin them, for example "
                    + example(online) + ", or " + fix;
        }
        String which = unknown.stream().map(String::valueOf).collect(Collectors.joining(","));
        return unknown.size() + " of the " + online.size() + " vCPUs of " + name + " (vCPU " + which
                + ") have no <vcpupin> and no <vcpu cpuset>: they float over every host CPU, host work would still share"
                + " them; pin them too (<vcpupin vcpu='" + unknown.get(0) + "' cpuset='...'/>), or " + fix;
    }

    /** {@code <cputune><vcpupin vcpu='0' cpuset='2'/>...</cputune>} for the VM's own vCPUs. */
    private static String example(CpuSet online) {
        StringBuilder out = new StringBuilder("<cputune>");
        int[] vcpus = online.stream().toArray();
        int shown = Math.min(vcpus.length, 4);
        for (int i = 0; i < shown; i++) {
            out.append("<vcpupin vcpu='").append(vcpus[i]).append("' cpuset='").append(i + 2).append("'/>");
        }
        if (vcpus.length > shown) {
            out.append("... (one per vCPU, up to vcpu='").append(vcpus[vcpus.length - 1]).append("')");
        }
        return out.append("</cputune>").toString();
    }
}
