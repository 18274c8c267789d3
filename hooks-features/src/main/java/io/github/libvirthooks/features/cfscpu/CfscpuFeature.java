package io.github.libvirthooks.features.cfscpu;

import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.engine.ClaimingFeature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.FeatureSpec;
import io.github.libvirthooks.features.engine.SpecifiedFeature;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cgroup.Cgroup;
import io.github.libvirthooks.sysfs.cgroup.CgroupMounts;
import io.github.libvirthooks.sysfs.cgroup.CpuController;
import io.github.libvirthooks.sysfs.cgroup.LibvirtMachineScope;
import io.github.libvirthooks.sysfs.cgroup.Mountinfo;
import io.github.libvirthooks.sysfs.kernel.KernelSysctl;
import io.github.libvirthooks.sysfs.sched.ProcessThreads;
import io.github.libvirthooks.sysfs.sched.Scheduling;
import io.github.libvirthooks.sysfs.sched.SchedulingException;
import io.github.libvirthooks.sysfs.sched.TaskThread;
import io.github.libvirthooks.sysfs.sched.ThreadScheduling;
import io.github.libvirthooks.sysfs.sched.VcpuThread;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code cfscpu}: once QEMU runs, give the VM's vCPU threads (and, if asked, its IOThreads) a
 * scheduling policy, priority or nice value, and optionally a CFS weight on their
 * cgroups.
 *
 * <p>The threads are found in the VM's cgroup v2 scope (the threads of {@code libvirt/vcpuN}),
 * else by their names ({@code CPU N/KVM}) under the QEMU process whose pid libvirt wrote to
 * {@code /run/libvirt/qemu/NAME.pid}; libvirt is never called. Thread settings die with the
 * threads, so they are reported, not journaled. RT throttling is shared by every
 * VM: it is a counted claim, and the original comes back when the last VM that changed it
 * releases. The weight is a claim too, because libvirt removes the vCPU cgroups before
 * release: its undo puts the old weight back only where the cgroup still exists.
 *
 * <p>This runs at {@code started}, where libvirt ignores the hook's status: a missing QEMU
 * process, cgroup or tool is a warning, never a failure, and nothing host-wide is changed
 * unless vCPU threads were found.
 */
public final class CfscpuFeature implements ClaimingFeature<CfscpuClaim>, SpecifiedFeature {
    public static final String NAME = "cfscpu";
    /** What this feature is: its events and options (the README's table is checked against it). */
    public static final FeatureSpec SPEC = FeatureSpec.named(NAME, "give the VM's vCPU threads a scheduling policy once QEMU runs")
            .at(HookOperation.STARTED)
            .option("policy", "`other`")
            .option("priority", "`1` (fifo/rr)")
            .option("nice", "`-1`")
            .option("iothreads", "`false`")
            .option("override-libvirt", "`false`")
            .option("weight", "unchanged")
            .option("rt-runtime", "unchanged")
            .build();

    @Override
    public FeatureSpec spec() {
        return SPEC;
    }

    @Override
    public ClaimCodec<CfscpuClaim> claimCodec() {
        return CfscpuClaim.CODEC;
    }

    @Override
    public void apply(FeatureContext context) {
        CfscpuOptions options = CfscpuOptions.parse(context.options());
        Consumer<String> report = context.report();
        HostRoot host = context.claimedHost();
        String vmName = context.domain().name();
        // What the XML asks of libvirt, said even when no thread is found (plan, a QEMU that is already gone).
        LibvirtSchedulers.describe(context.domain(), options).forEach(line -> report.accept("info   cfscpu: " + line));
        VmThreads found = findThreads(host, vmName, options.iothreads(), report);
        if (found.vcpus().isEmpty()) {
            report.accept("warn   cfscpu: no vCPU threads of " + vmName + " found (" + found.source()
                    + "); scheduling left unchanged");
            return;
        }
        options.rtRuntime().ifPresent(runtime -> rtRuntime(context, runtime));
        options.weight().ifPresent(weight -> weight(context, found, weight));

        ThreadScheduling scheduling = new ThreadScheduling(host, context.commands());
        int done = 0;
        List<Target> targets = new ArrayList<>();
        for (Target target : concat(found.vcpus(), found.iothreads())) {
            if (!options.overrideLibvirt() && LibvirtSchedulers.schedules(context.domain(), target)) {
                // libvirt set this thread's scheduler at start, as the XML asks: it stays so unless told otherwise.
                continue;
            }
            targets.add(target);
        }
        for (Target target : targets) {
            try {
                Scheduling before = scheduling.read(target.tid());
                Scheduling after = schedule(scheduling, target.tid(), before, options);
                if (!wanted(after, options)) {
                    report.accept("warn   cfscpu: " + target + ": asked for " + options.describe() + ", the kernel reports " + after);
                    continue;
                }
                done++;
                if (!after.equals(before)) {
                    report.accept("change cfscpu: " + target + ": " + before + " -> " + after);
                }
            } catch (SchedulingException | HostAccessException | IllegalArgumentException e) {
                report.accept("warn   cfscpu: " + target + ": " + e.getMessage());
            }
        }
        report.accept("info   cfscpu: " + done + " of " + targets.size() + " threads of " + vmName + " run " + options.describe()
                + " (found through " + found.source() + "; thread settings end with QEMU, nothing to undo)");
    }

    @Override
    public void undo(CfscpuClaim claim, FeatureContext context) {
        HostRoot host = context.host();
        if (claim instanceof CfscpuClaim.RtRuntime rt) {
            // Throws while another VM's journal is damaged: that VM may still need RT throttling off, so the
            // claim stays, with the original, until 'restore' can count again.
            List<CfscpuClaim.RtRuntime> remaining = otherRtRuntimes(context);
            long target = remaining.isEmpty() ? rt.original()
                    : remaining.stream().mapToLong(CfscpuClaim.RtRuntime::runtime).reduce(CfscpuFeature::looser).orElseThrow();
            KernelSysctl sysctl = new KernelSysctl(host);
            if (sysctl.schedRtRuntimeUs() != target) {
                sysctl.setSchedRtRuntimeUs(target);
                context.report().accept("undo   cfscpu: " + KernelSysctl.SCHED_RT_RUNTIME_US + " = " + target
                        + (remaining.isEmpty() ? " (original)" : " (still asked for by another VM)"));
            }
        } else if (claim instanceof CfscpuClaim.Weight weights) {
            int restored = 0;
            int gone = 0;
            for (Map.Entry<String, Integer> e : weights.before().entrySet()) {
                CpuController cpu = vcpuCgroup(host, e.getKey()).cpu();
                if (!cpu.isEnabled()) {
                    gone++;
                    continue;
                }
                if (cpu.weight() != e.getValue()) {
                    cpu.setWeight(e.getValue());
                    restored++;
                }
            }
            context.report().accept("undo   cfscpu: " + CfscpuClaim.WEIGHT + " put back on " + restored + " vCPU cgroups"
                    + (gone == 0 ? "" : ", " + gone + " gone with QEMU"));
        }
    }

    /** The vCPU cgroup whose weight file the claim names; libvirt may have removed it since. */
    private static Cgroup vcpuCgroup(HostRoot host, String weightFile) {
        return Cgroup.atDirectory(host, weightFile.substring(0, weightFile.lastIndexOf('/')));
    }

    private static List<CfscpuClaim.RtRuntime> otherRtRuntimes(FeatureContext context) {
        return context.otherClaims(CfscpuClaim.CODEC, CfscpuClaim.RT_RUNTIME).stream()
                .filter(CfscpuClaim.RtRuntime.class::isInstance).map(CfscpuClaim.RtRuntime.class::cast).toList();
    }

    private static List<Target> concat(List<Target> a, List<Target> b) {
        List<Target> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /**
     * One thread to schedule, as the report names it.
     *
     * @param iothread true for an IOThread, false for a vCPU
     * @param id       the vCPU number or IOThread id as the domain XML counts them; -1 when unknown
     */
    record Target(String label, int tid, boolean iothread, int id) {
        @Override
        public String toString() {
            return label + " (thread " + tid + ")";
        }
    }

    /**
     * The threads found for a VM.
     *
     * @param source       where they were found, for the report
     * @param vcpus        the vCPU threads
     * @param iothreads    the IOThreads, when asked for
     * @param vcpuCgroups  the vCPU cgroups, when found through cgroup v2
     */
    record VmThreads(String source, List<Target> vcpus, List<Target> iothreads, List<Cgroup> vcpuCgroups) {
    }

    /**
     * Finds the VM's threads: in its cgroup v2 scope, else by name under its QEMU process.
     * Never throws for a missing process or cgroup: the answer is then empty, with the reason
     * in {@link VmThreads#source()}.
     */
    static VmThreads findThreads(HostRoot host, String vmName, boolean iothreads, Consumer<String> report) {
        String why = "";
        try {
            Optional<VmThreads> fromCgroup = fromCgroup(host, vmName, iothreads);
            if (fromCgroup.isPresent()) {
                return fromCgroup.get();
            }
            why = "no vCPU cgroups";
        } catch (HostAccessException e) {
            report.accept("info   cfscpu: cannot use the cgroup of " + vmName + " (" + e.getMessage() + "); looking for QEMU's threads by name");
            why = "cgroup unusable";
        }
        String pidFile = "/run/libvirt/qemu/" + vmName + ".pid";
        try {
            Optional<String> text = host.readIfExists(pidFile);
            if (text.isEmpty()) {
                return new VmThreads(why + ", no " + pidFile, List.of(), List.of(), List.of());
            }
            String pidText = text.get().strip();
            if (!pidText.matches("[1-9][0-9]{0,8}")) {
                return new VmThreads(why + ", " + pidFile + " holds '" + pidText + "', not a pid", List.of(), List.of(), List.of());
            }
            int pid = Integer.parseInt(pidText);
            ProcessThreads threads = new ProcessThreads(host);
            List<Target> vcpus = new ArrayList<>();
            for (VcpuThread v : threads.vcpuThreads(pid)) {
                vcpus.add(new Target("vCPU " + v.vcpu(), v.thread().tid(), false, v.vcpu()));
            }
            List<Target> io = new ArrayList<>();
            if (iothreads) {
                for (TaskThread t : threads.ioThreads(pid)) {
                    String name = t.name().substring(3);
                    java.util.regex.Matcher id = java.util.regex.Pattern.compile("iothread([0-9]{1,6})").matcher(name);
                    io.add(new Target("IOThread '" + name + "'", t.tid(), true, id.matches() ? Integer.parseInt(id.group(1)) : -1));
                }
            }
            return new VmThreads("thread names of QEMU process " + pid, vcpus, io, List.of());
        } catch (HostAccessException | IllegalArgumentException e) {
            return new VmThreads(why + ", QEMU process unreadable: " + e.getMessage(), List.of(), List.of(), List.of());
        }
    }

    private static Optional<VmThreads> fromCgroup(HostRoot host, String vmName, boolean iothreads) {
        if (!host.exists(Mountinfo.PATH)) {
            return Optional.empty();
        }
        CgroupMounts mounts = CgroupMounts.read(host);
        if (mounts.unifiedMountPoint().isEmpty()) {
            return Optional.empty();
        }
        Optional<LibvirtMachineScope> scope = LibvirtMachineScope.find(mounts.unifiedRoot(host), vmName, OptionalInt.empty());
        if (scope.isEmpty()) {
            return Optional.empty();
        }
        List<Target> vcpus = new ArrayList<>();
        List<Cgroup> cgroups = new ArrayList<>();
        for (LibvirtMachineScope.VcpuCgroup vcpu : scope.get().vcpus()) {
            cgroups.add(vcpu.cgroup());
            for (int tid : vcpu.cgroup().threads()) {
                vcpus.add(new Target("vCPU " + vcpu.vcpu(), tid, false, vcpu.vcpu()));
            }
        }
        if (vcpus.isEmpty()) {
            return Optional.empty();
        }
        List<Target> io = new ArrayList<>();
        if (iothreads) {
            for (LibvirtMachineScope.IothreadCgroup iothread : scope.get().iothreads()) {
                for (int tid : iothread.cgroup().threads()) {
                    io.add(new Target("IOThread " + iothread.iothread(), tid, true, iothread.iothread()));
                }
            }
        }
        return Optional.of(new VmThreads("cgroup " + scope.get().cgroup().path(), vcpus, io, cgroups));
    }

    private static Scheduling schedule(ThreadScheduling scheduling, int tid, Scheduling before, CfscpuOptions options) {
        if (before.policy() != options.policy() || (options.policy().isRealTime() && before.rtPriority() != options.priority())) {
            scheduling.set(tid, options.policy(), options.priority());
        }
        if (options.nice().isPresent() && scheduling.read(tid).nice() != options.nice().getAsInt()) {
            scheduling.setNice(tid, options.nice().getAsInt());
        }
        // Read back once more: the tools' own checks do not see a policy reset by the nice change.
        return scheduling.read(tid);
    }

    private static boolean wanted(Scheduling now, CfscpuOptions options) {
        return now.policy() == options.policy()
                && (!options.policy().isRealTime() || now.rtPriority() == options.priority())
                && (options.nice().isEmpty() || now.nice() == options.nice().getAsInt());
    }

    private static void rtRuntime(FeatureContext context, long runtime) {
        Consumer<String> report = context.report();
        KernelSysctl sysctl = new KernelSysctl(context.claimedHost());
        try {
            long current = sysctl.schedRtRuntimeUs();
            List<CfscpuClaim.RtRuntime> others = otherRtRuntimes(context);
            // The first VM's original travels with every later claim, so whichever VM releases last restores it.
            long original = others.isEmpty() ? current : others.get(0).original();
            context.claim(CfscpuClaim.CODEC, new CfscpuClaim.RtRuntime(runtime, original));
            long target = others.stream().mapToLong(CfscpuClaim.RtRuntime::runtime).reduce(runtime, CfscpuFeature::looser);
            if (target != current) {
                sysctl.setSchedRtRuntimeUs(target);
                report.accept("change cfscpu: " + KernelSysctl.SCHED_RT_RUNTIME_US + " = " + target + " (was " + current
                        + ", restored when the last VM that asked for it releases)");
            }
        } catch (HostAccessException | IllegalArgumentException | FeatureException e) {
            // FeatureException: a damaged journal, or a damaged claim of another VM, whose original is unknown.
            // A damaged journal may hold the first VM's original: without it, this VM would record an isolated value as original.
            report.accept("warn   cfscpu: RT throttling left as it is: " + e.getMessage());
        }
    }

    private static void weight(FeatureContext context, VmThreads found, int weight) {
        Consumer<String> report = context.report();
        if (found.vcpuCgroups().isEmpty()) {
            report.accept("warn   cfscpu: " + CfscpuClaim.WEIGHT + " not set: the vCPU threads were not found in cgroup v2 (" + found.source() + ")");
            return;
        }
        Map<String, Integer> before = new LinkedHashMap<>();
        List<Cgroup> usable = new ArrayList<>();
        for (Cgroup cgroup : found.vcpuCgroups()) {
            if (!cgroup.cpu().isEnabled()) {
                report.accept("warn   cfscpu: " + cgroup.path() + " has no " + CfscpuClaim.WEIGHT
                        + " (the cpu controller is not enabled there)");
                continue;
            }
            before.put(cgroup.fileHostPath(CfscpuClaim.WEIGHT), cgroup.cpu().weight());
            usable.add(cgroup);
        }
        if (usable.isEmpty()) {
            return;
        }
        // Recorded before the writes, so that restore can put the old weights back while the VM still runs.
        context.claim(CfscpuClaim.CODEC, new CfscpuClaim.Weight(weight, before));
        int changed = 0;
        for (Cgroup cgroup : usable) {
            try {
                if (cgroup.cpu().weight() != weight) {
                    cgroup.cpu().setWeight(weight);
                    changed++;
                }
            } catch (HostAccessException e) {
                report.accept("warn   cfscpu: " + CfscpuClaim.WEIGHT + " of " + cgroup.path() + " not set: " + e.getMessage());
            }
        }
        report.accept("change cfscpu: " + CfscpuClaim.WEIGHT + " = " + weight + " on " + changed + " of " + usable.size() + " vCPU cgroups");
    }

    /** The looser of two RT runtime limits: -1 (no limit) beats any number. */
    static long looser(long a, long b) {
        if (a == -1 || b == -1) {
            return -1;
        }
        return Math.max(a, b);
    }
}
