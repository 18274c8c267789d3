package io.github.libvirthooks.features.isolcpu;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.engine.ClaimingFeature;
import io.github.libvirthooks.features.engine.FeatureContext.VmClaim;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.FeatureSpec;
import io.github.libvirthooks.features.engine.SpecifiedFeature;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.isolcpu.IsolcpuOptions.Backend;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cgroup.Cgroup;
import io.github.libvirthooks.sysfs.cgroup.CgroupMounts;
import io.github.libvirthooks.sysfs.cgroup.CgroupVersion;
import io.github.libvirthooks.sysfs.cgroup.CpusetPartition;
import io.github.libvirthooks.sysfs.cgroup.CpusetPartitionState;
import io.github.libvirthooks.sysfs.cgroup.Cpuset;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import io.github.libvirthooks.sysfs.sched.PinnedTasks;
import io.github.libvirthooks.sysfs.cpu.CpuTopology;
import io.github.libvirthooks.sysfs.cpu.SplitCore;
import io.github.libvirthooks.sysfs.exec.CommandException;
import io.github.libvirthooks.sysfs.irq.IrqAffinity;
import io.github.libvirthooks.sysfs.kernel.KernelCommandLine;
import io.github.libvirthooks.sysfs.kernel.KernelSysctl;
import io.github.libvirthooks.sysfs.kernel.Workqueue;
import io.github.libvirthooks.sysfs.systemd.AllowedCpus;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * {@code isolcpu}: before QEMU starts, keep host work off the VM's CPUs, and give the host its
 * old settings back when the last isolating VM releases.
 *
 * <p>The VM's CPUs are those its vCPUs are pinned to ({@link VmCpus}: {@code <vcpupin>}, with
 * {@code <vcpu cpuset>} for vCPUs without a pin; {@code <emulatorpin>} and {@code <iothreadpin>}
 * only with {@code include}) or the {@code cpus} option; the host keeps every online CPU that no
 * isolating VM uses. The host's cgroups are confined through systemd ({@code AllowedCPUs} of
 * {@code init.scope}, {@code system.slice}, {@code user.slice}) or by writing
 * the CPUs of the top-level cgroups directly; optionally the VMs' cgroup becomes a
 * cpuset partition, and workqueues, interrupts and timer migration follow.
 *
 * <p>These settings are shared by every isolating VM, so they are reconciled, not patched: each
 * VM's {@link IsolcpuClaim} holds its CPUs and the original value of every setting it touched
 * (copied from the VMs already running, read from the host for the first), recorded before any
 * write; {@link IsolationTarget} computes the host state the claims ask for, and apply converges
 * the host to that of "the others and this VM", release to that of "the others" (the originals
 * when none is left). A crash after the claim and before the writes is undone the same way, and
 * plan shows the writes apply would make.
 */
public final class IsolcpuFeature implements ClaimingFeature<IsolcpuClaim>, SpecifiedFeature {
    public static final String NAME = "isolcpu";
    /** What this feature is: its events and options (the README's table is checked against it). */
    public static final FeatureSpec SPEC = FeatureSpec.named(NAME, "keep host work off the VM's CPUs while it runs")
            .at(HookOperation.PREPARE)
            .option("cpus", "the vCPUs' CPUs")
            .option("include", "(none)")
            .option("backend", "`auto`")
            .option("partition", "`off`")
            .option("workqueue", "`false`")
            .option("irq", "`false`")
            .option("timer-migration", "unchanged")
            .build();
    /** The units systemd puts host work in. */
    static final List<String> HOST_UNITS = Knob.HOST_UNITS;
    /** The workqueue of the flusher threads, the one the kernel exposes besides the unbound mask. */
    static final String WRITEBACK = "writeback";
    /** libvirt's VM cgroup under systemd, and without it. */
    static final List<String> VM_CGROUPS = List.of("machine.slice", "machine");

    @Override
    public FeatureSpec spec() {
        return SPEC;
    }

    @Override
    public ClaimCodec<IsolcpuClaim> claimCodec() {
        return IsolcpuClaim.CODEC;
    }

    @Override
    public void apply(FeatureContext context) {
        IsolcpuOptions options = IsolcpuOptions.parse(context.options());
        Consumer<String> report = context.report();
        HostRoot host = context.claimedHost();
        String vmName = context.domain().name();
        VmCpus vmCpus = VmCpus.of(context.domain(), options);
        CpuSet vm = vmCpus.cpus();
        context.effect("vmCpus", vm.toList());
        vmCpus.notes().forEach(note -> report.accept("info   isolcpu: " + note));
        CpuTopology topology = CpuTopology.read(host);
        CpuSet offline = vm.difference(topology.online());
        if (!offline.isEmpty()) {
            throw new FeatureException("CPUs " + offline + " of " + vmName + " are not online (online: " + topology.online()
                    + "); fix the pins or the cpus option");
        }
        Optional<String> boot = bootIsolation(host, vm);
        if (boot.isPresent()) {
            report.accept("skip   isolcpu: " + boot.get());
            return;
        }
        // The host's settings are the union of every isolating VM's: a VM whose journal cannot be read may be one.
        List<VmClaim<IsolcpuClaim>> others = otherClaims(context);
        Backend backend = backend(options, host, others);
        CpuSet vms = others.stream().map(o -> o.claim().cpus()).reduce(vm, CpuSet::union);
        CpuSet hostCpus = topology.online().difference(vms);
        context.effect("hostCpus", hostCpus.toList());
        context.effect("backend", backend.word());
        requireHostCpu(hostCpus, vm, vms, others, topology, vmName);
        for (SplitCore split : topology.splitCores(vm)) {
            if (split.outside().intersects(hostCpus)) {
                report.accept("warn   isolcpu: " + splitWarning(split, vmName));
            }
        }
        Set<Knob.Group> groups = EnumSet.copyOf(options.groups());
        others.forEach(o -> groups.addAll(o.claim().groups()));
        Optional<CpusetPartition> partition = partitionType(options, others);

        KnobFiles knobs = new KnobFiles(host, context.commands(), topology.nrCpuIds());
        Map<Knob, String> originals = new TreeMap<>();
        // Settings other VMs already changed keep the originals they recorded: reading them now
        // would take their isolated values for originals.
        for (VmClaim<IsolcpuClaim> other : others) {
            other.claim().originals().forEach((knob, value) -> {
                if (groups.contains(knob.group())) {
                    originals.putIfAbsent(knob, value);
                }
            });
        }
        for (Knob knob : discover(backend, groups, host, report)) {
            if (!originals.containsKey(knob)) {
                originals.put(knob, read(knobs, knob));
            }
        }
        IsolcpuClaim claim = new IsolcpuClaim(vm, backend, options.groups(), partition, originals);
        // Recorded before the first write: after a crash, release knows every original.
        context.claim(IsolcpuClaim.CODEC, claim);
        report.accept("claim  isolcpu: CPUs " + vm + " for " + vmName + (others.isEmpty() ? "" : ", with " + names(others)
                + " (" + vms + " in all)") + "; host CPUs " + hostCpus + " (" + describe(backend) + ")");

        if (others.isEmpty()) {
            pinnedTasksWarning(host, topology.online(), vm).ifPresent(line -> report.accept("warn   isolcpu: " + line));
        }

        List<IsolcpuClaim> all = new ArrayList<>();
        all.add(claim);
        others.forEach(o -> all.add(o.claim()));
        IsolationTarget target = IsolationTarget.of(all, topology.online(), topology.nrCpuIds(), originals);
        IrqCount irqs = new IrqCount();
        boolean partitionFailed = false;
        for (Map.Entry<Knob, String> entry : target.values().entrySet()) {
            Knob knob = entry.getKey();
            if (partitionFailed && knob.group() == Knob.Group.PARTITION) {
                continue;
            }
            String value = entry.getValue();
            KnobFiles.Outcome outcome = write(knobs, knob, value);
            if (knob.kind() == Knob.Kind.IRQ) {
                irqs.add(outcome);
                continue;
            }
            switch (outcome) {
                case CHANGED -> report.accept("change isolcpu: " + knob.describe() + " = " + shown(value)
                        + " (original " + shown(originals.get(knob)) + ")");
                case UNCHANGED -> { }
                case MISSING -> {
                    if (knob.kind() == Knob.Kind.PARTITION || knob.kind() == Knob.Kind.VMS_CPUSET) {
                        report.accept("warn   isolcpu: " + knob.target() + " is missing: this kernel does not offer cpuset"
                                + " partitions there; no partition made, the host's cgroups still keep off CPUs " + vms);
                        partitionFailed = true;
                    } else {
                        report.accept("info   isolcpu: " + knob.target() + " is gone; left alone");
                    }
                }
                case NOT_MOVABLE -> report.accept("info   isolcpu: " + knob.target() + " cannot be changed; left alone");
            }
            if (knob.kind() == Knob.Kind.PARTITION && outcome != KnobFiles.Outcome.MISSING) {
                CpusetPartitionState state = knobs.partitionState(knob);
                if (state.valid()) {
                    report.accept("change isolcpu: " + knob.target() + " reads '" + state + "': CPUs " + vms
                            + " form a cpuset partition");
                } else {
                    report.accept("warn   isolcpu: the kernel reports " + knob.target() + " as '" + state
                            + "'; partition rolled back, the host's cgroups still keep off CPUs " + vms);
                    partitionFailed = true;
                }
            }
            if (partitionFailed && knob.group() == Knob.Group.PARTITION) {
                rollBackPartition(knobs, originals, report);
            }
        }
        if (partitionFailed && options.partition().isPresent()) {
            context.updateClaim(IsolcpuClaim.CODEC, claim.without(Knob.Group.PARTITION));
        }
        irqs.report(report, hostCpus);
    }

    @Override
    public void undo(IsolcpuClaim claim, FeatureContext context) {
        HostRoot host = context.host();
        Consumer<String> report = context.report();
        String vmName = context.invocation().vmName();
        if (!context.damagedJournals().isEmpty()) {
            // Another VM may still isolate CPUs: recomputing from the readable claims, or putting the originals
            // back, could hand its CPUs to the host. The claim stays (the engine keeps what throws), with the
            // originals, for 'restore' once the damaged journal is dealt with.
            report.accept("keep   isolcpu: the host's CPU isolation stays as it is: another VM's journal "
                    + context.damagedJournals().get(0).shownFile() + " cannot be read, so " + vmName
                    + " may not be the last VM isolating CPUs");
            context.requireCountableClaims();
        }
        List<VmClaim<IsolcpuClaim>> remaining = otherClaims(context);
        CpuTopology topology = remaining.isEmpty() ? null : CpuTopology.read(host);
        KnobFiles knobs = new KnobFiles(host, context.commands(), topology == null ? 1 : topology.nrCpuIds());
        IsolationTarget target = IsolationTarget.of(remaining.stream().map(VmClaim::claim).toList(),
                topology == null ? CpuSet.empty() : topology.online(), topology == null ? 1 : topology.nrCpuIds(), claim.originals());
        CpuSet vms = target.vmCpus();
        CpuSet hostCpus = target.hostCpus();

        List<Knob> order = new ArrayList<>(target.values().keySet());
        Collections.reverse(order);
        List<String> failures = new ArrayList<>();
        IrqCount irqs = new IrqCount();
        for (Knob knob : order) {
            boolean keep = target.isolated().contains(knob);
            String value = target.values().get(knob);
            try {
                KnobFiles.Outcome outcome = knobs.write(knob, value);
                if (knob.kind() == Knob.Kind.IRQ) {
                    irqs.add(outcome);
                } else if (outcome == KnobFiles.Outcome.CHANGED) {
                    report.accept("undo   isolcpu: " + knob.describe() + " = " + shown(value)
                            + (keep ? " (CPUs " + vms + " stay isolated for " + names(remaining) + ")" : " (original)"));
                }
            } catch (HostAccessException | CommandException | FeatureException | IllegalArgumentException e) {
                if (knob.kind() == Knob.Kind.SUBTREE_CONTROL && e instanceof HostAccessException hae
                        && hae.errno() == HostAccessException.Errno.EBUSY) {
                    // Harmless to leave on: every cgroup's CPUs are back to empty, which means all CPUs.
                    report.accept("warn   isolcpu: left the cpuset controller enabled in " + knob.target()
                            + " (" + e.getMessage() + "); a cgroup below still uses it");
                } else {
                    failures.add(knob.describe() + ": " + e.getMessage());
                }
            }
        }
        if (!irqs.isEmpty()) {
            report.accept("undo   isolcpu: " + irqs.changed + " interrupts back "
                    + (remaining.isEmpty() ? "to their original affinity" : "on CPUs " + hostCpus + " or their original affinity")
                    + (irqs.notMovable == 0 ? "" : ", " + irqs.notMovable + " not movable"));
        }
        if (!failures.isEmpty()) {
            throw new FeatureException(failures.size() + " of " + order.size() + " isolcpu settings could not be restored ("
                    + failures.get(0) + (failures.size() > 1 ? "; ..." : "") + "); run 'libvirt-hooks restore' once the cause is fixed");
        }
        report.accept("undo   isolcpu: " + (remaining.isEmpty()
                ? vmName + " was the last VM isolating CPUs; host settings are back to their originals"
                : "released CPUs " + claim.cpus().difference(vms) + "; host CPUs now " + hostCpus));
    }

    /** Refuses what would leave the host without a CPU: the hook refuses it, and plan says so too. */
    private static void requireHostCpu(CpuSet hostCpus, CpuSet vm, CpuSet vms, List<VmClaim<IsolcpuClaim>> others, CpuTopology topology,
            String vmName) {
        if (hostCpus.isEmpty()) {
            throw new FeatureException("isolating CPUs " + vm + " for " + vmName
                    + (others.isEmpty() ? "" : " (and " + vms.difference(vm) + " for " + names(others) + ")")
                    + " would leave the host no CPU (online: " + topology.online() + "); leave at least one core to the host"
                    + " (pin <emulatorpin> there, or name the VM's CPUs with cpus=\"...\")");
        }
    }

    /** Why nothing needs doing when the kernel command line already isolates the VM's CPUs. */
    static Optional<String> bootIsolation(HostRoot host, CpuSet vm) {
        KernelCommandLine cmdline;
        try {
            if (!host.exists(KernelCommandLine.CMDLINE)) {
                return Optional.empty();
            }
            cmdline = KernelCommandLine.read(host);
            CpuSet isolated = cmdline.isolcpus().map(i -> i.cpus()).orElse(CpuSet.empty())
                    .union(cmdline.nohzFull().orElse(CpuSet.empty()));
            if (!isolated.isEmpty() && isolated.containsAll(vm)) {
                return Optional.of("the kernel command line already isolates CPUs " + isolated + " ("
                        + cmdline.parameters().stream().filter(p -> p.isNamed("isolcpus") || p.isNamed("nohz_full"))
                        .map(Object::toString).collect(Collectors.joining(" "))
                        + "), which covers the VM's CPUs " + vm);
            }
        } catch (HostAccessException | IllegalArgumentException e) {
            // A malformed isolcpus= is ignored by the kernel too: isolate at run time.
        }
        return Optional.empty();
    }

    private static Backend backend(IsolcpuOptions options, HostRoot host, List<VmClaim<IsolcpuClaim>> others) {
        Optional<VmClaim<IsolcpuClaim>> first = others.stream().findFirst();
        if (first.isPresent()) {
            Backend active = first.get().claim().backend();
            if (options.backend() != Backend.AUTO && options.backend() != active) {
                throw new FeatureException("backend=" + options.backend().word() + " differs from the " + active.word()
                        + " backend " + first.get().vm() + " already isolates CPUs with; use backend=auto or "
                        + active.word() + " for every isolating VM");
            }
            return active;
        }
        CgroupVersion version = cgroupVersion(host);
        if (options.backend() == Backend.AUTO) {
            return AllowedCpus.booted(host) && version == CgroupVersion.V2 ? Backend.SYSTEMD : Backend.CGROUP;
        }
        if (options.backend() == Backend.CGROUP && AllowedCpus.booted(host) && version == CgroupVersion.V2) {
            // Found in the lab: systemd writes its own cpuset CPUs back into its units at a daemon-reload or a
            // VM's scope start, and owns machine.slice, so direct writes neither hold nor leave the host usable.
            throw new FeatureException("backend=cgroup on a host whose cgroups systemd manages: systemd writes its own"
                    + " " + Cpuset.CPUS + " back into its units and owns machine.slice, so the isolation would not hold;"
                    + " use backend=systemd or backend=auto");
        }
        if (options.backend() == Backend.SYSTEMD && version != CgroupVersion.V2) {
            throw new FeatureException("backend=systemd needs systemd managing a pure cgroup v2 host, this one is "
                    + version + "; boot with systemd.unified_cgroup_hierarchy=1 or use backend=auto");
        }
        return options.backend();
    }

    private static CgroupVersion cgroupVersion(HostRoot host) {
        try {
            return CgroupMounts.read(host).version();
        } catch (HostAccessException e) {
            return CgroupVersion.NONE;
        }
    }

    /** Every knob the groups ask for on this host now, with a line for each one the host lacks. */
    private static List<Knob> discover(Backend backend, Set<Knob.Group> groups, HostRoot host, Consumer<String> report) {
        List<Knob> knobs = new ArrayList<>();
        Cgroup root = unifiedRoot(host);
        if (backend == Backend.SYSTEMD) {
            HOST_UNITS.forEach(unit -> knobs.add(new Knob(Knob.Kind.HOST_UNIT, unit)));
        } else {
            if (!root.controllers().contains("cpuset")) {
                throw new FeatureException("the cpuset controller is not available in the cgroup v2 root " + root.hostPath()
                        + " (controllers: " + String.join(" ", root.controllers()) + "); it is bound to cgroup v1 or missing:"
                        + " boot with systemd.unified_cgroup_hierarchy=1 (or cgroup_no_v1=cpuset)");
            }
            if (!root.subtreeControl().contains("cpuset")) {
                knobs.add(new Knob(Knob.Kind.SUBTREE_CONTROL, root.fileHostPath(Cgroup.SUBTREE_CONTROL)));
            }
            int before = knobs.size();
            for (Cgroup child : root.children()) {
                if (!VM_CGROUPS.contains(child.name())) {
                    knobs.add(new Knob(Knob.Kind.HOST_CPUSET, child.fileHostPath(Cpuset.CPUS)));
                }
            }
            if (knobs.size() == before) {
                report.accept("warn   isolcpu: " + root.hostPath() + " has no top-level cgroup but the VMs'; host processes"
                        + " in the root cgroup cannot be confined (the root cgroup always owns every CPU)");
            }
        }
        if (groups.contains(Knob.Group.PARTITION)) {
            Optional<Cgroup> machine = VM_CGROUPS.stream().map(root::child).filter(Cgroup::exists).findFirst();
            if (machine.isEmpty()) {
                report.accept("warn   isolcpu: no " + String.join(" or ", VM_CGROUPS) + " cgroup under " + root.hostPath()
                        + "; no cpuset partition made");
            } else if (backend == Backend.SYSTEMD && machine.get().name().equals("machine.slice")) {
                knobs.add(new Knob(Knob.Kind.VMS_UNIT, Knob.VMS_UNIT));
                knobs.add(new Knob(Knob.Kind.PARTITION, machine.get().fileHostPath(Cpuset.PARTITION)));
            } else {
                knobs.add(new Knob(Knob.Kind.VMS_CPUSET, machine.get().fileHostPath(Cpuset.CPUS)));
                knobs.add(new Knob(Knob.Kind.PARTITION, machine.get().fileHostPath(Cpuset.PARTITION)));
            }
        }
        if (groups.contains(Knob.Group.WORKQUEUE)) {
            optional(host, Workqueue.UNBOUND_CPUMASK, Knob.Kind.WORKQUEUE, "unbound workqueues stay where they are", knobs, report);
            if (new Workqueue(host).exposes(WRITEBACK)) {
                knobs.add(new Knob(Knob.Kind.WORKQUEUE, Workqueue.cpumaskPath(WRITEBACK)));
            }
        }
        if (groups.contains(Knob.Group.IRQ)) {
            if (optional(host, IrqAffinity.DEFAULT_SMP_AFFINITY, Knob.Kind.IRQ_DEFAULT, "interrupts stay where they are", knobs,
                    report)) {
                IrqAffinity irqs = new IrqAffinity(host);
                for (int irq : irqs.irqs()) {
                    if (irqs.hasAffinity(irq)) {
                        knobs.add(new Knob(Knob.Kind.IRQ, IrqAffinity.affinityListPath(irq)));
                    }
                }
            }
        }
        if (groups.contains(Knob.Group.TIMER_MIGRATION)) {
            optional(host, KernelSysctl.TIMER_MIGRATION, Knob.Kind.TIMER_MIGRATION, "timer migration stays as it is", knobs, report);
        }
        return knobs;
    }

    private static boolean optional(HostRoot host, String path, Knob.Kind kind, String consequence, List<Knob> knobs,
            Consumer<String> report) {
        if (!host.exists(path)) {
            report.accept("warn   isolcpu: this kernel does not offer " + path + "; " + consequence);
            return false;
        }
        knobs.add(new Knob(kind, path));
        return true;
    }

    private static Cgroup unifiedRoot(HostRoot host) {
        CgroupMounts mounts;
        try {
            mounts = CgroupMounts.read(host);
        } catch (HostAccessException e) {
            throw new FeatureException("cannot find the cgroup v2 hierarchy: " + e.getMessage());
        }
        return mounts.unifiedRoot(host);
    }

    private static String read(KnobFiles knobs, Knob knob) {
        try {
            return knobs.read(knob);
        } catch (CommandException e) {
            throw new FeatureException("cannot read " + knob.describe() + ": " + e.getMessage()
                    + "; is systemd running as PID 1? (backend=cgroup works without it)", e);
        }
    }

    private static KnobFiles.Outcome write(KnobFiles knobs, Knob knob, String value) {
        try {
            return knobs.write(knob, value);
        } catch (CommandException e) {
            throw new FeatureException("cannot set " + knob.describe() + "=" + value + ": " + e.getMessage()
                    + "; is systemd running as PID 1? (backend=cgroup works without it)", e);
        }
    }

    private static void rollBackPartition(KnobFiles knobs, Map<Knob, String> originals, Consumer<String> report) {
        List<Knob> partition = originals.keySet().stream().filter(k -> k.group() == Knob.Group.PARTITION).toList();
        for (int i = partition.size() - 1; i >= 0; i--) {
            Knob knob = partition.get(i);
            if (knobs.write(knob, originals.get(knob)) == KnobFiles.Outcome.CHANGED) {
                report.accept("undo   isolcpu: " + knob.describe() + " = " + shown(originals.get(knob)) + " (original)");
            }
        }
    }

    /** The partition type this VM asks for, refused when it differs from the one the running VMs share. */
    private static Optional<CpusetPartition> partitionType(IsolcpuOptions options, List<VmClaim<IsolcpuClaim>> others) {
        Optional<CpusetPartition> mine = options.partition().map(word -> CpusetPartition.fromKernelName(word).orElseThrow());
        Optional<VmClaim<IsolcpuClaim>> other = others.stream().filter(o -> o.claim().partition().isPresent()).findFirst();
        if (mine.isPresent() && other.isPresent() && !other.get().claim().partition().equals(mine)) {
            throw new FeatureException("partition=" + mine.get() + " differs from partition="
                    + other.get().claim().partition().get() + " that " + other.get().vm() + " uses; the VMs share one partition,"
                    + " use the same value");
        }
        return mine;
    }

    private static String splitWarning(SplitCore split, String vmName) {
        return "physical core " + split.core() + " is split: CPU " + split.inside() + " for " + vmName + ", " + split.outside()
                + " elsewhere; SMT siblings share caches and execution units, give the VM whole cores";
    }

    /** The other VMs' isolcpu claims; refuses (or, at release, keeps this one) while a journal cannot be read. */
    private static List<VmClaim<IsolcpuClaim>> otherClaims(FeatureContext context) {
        return context.otherVmClaims(IsolcpuClaim.CODEC).stream().filter(c -> c.resource().equals(IsolcpuClaim.RESOURCE)).toList();
    }

    /**
     * Before Linux 6.2 the kernel resets the affinity of every task in a cgroup whose cpuset
     * changes (systemd/systemd#23748; seen in the lab on Debian's 6.1: a process pinned to CPU 1
     * ran on 0-1 once the first VM started): a user's hand-pinned processes lose their pinning
     * when the first isolating VM starts, and do not get it back at release.
     */
    private static Optional<String> pinnedTasksWarning(HostRoot host, CpuSet online, CpuSet vm) {
        PinnedTasks tasks = new PinnedTasks(host);
        if (!tasks.kernelResetsAffinity()) {
            return Optional.empty();
        }
        List<String> subtrees = new ArrayList<>();
        List<PinnedTasks.Pinned> pinned;
        try {
            for (Cgroup child : unifiedRoot(host).children()) {
                if (!VM_CGROUPS.contains(child.name())) {
                    subtrees.add("/" + child.name());
                }
            }
            pinned = tasks.in(subtrees, online);
        } catch (HostAccessException e) {
            return Optional.empty();
        }
        if (pinned.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("kernel " + tasks.kernelRelease() + " (before 6.2) resets"
                + " the CPU affinity of every process in a cgroup whose cpuset changes: these processes pinned by hand lose their"
                + " pinning now and do not get it back when the VM stops: " + pinned.stream().map(PinnedTasks.Pinned::toString)
                .collect(Collectors.joining(", ")) + (pinned.size() >= 20 ? ", ..." : "") + "; pin them again afterwards"
                + " (taskset -apc LIST PID), or keep CPUs " + vm + " out of their pins");
    }

    private static String names(List<VmClaim<IsolcpuClaim>> claims) {
        return claims.stream().map(VmClaim::vm).distinct().collect(Collectors.joining(", "));
    }

    private static String describe(Backend backend) {
        return backend == Backend.SYSTEMD ? "systemd AllowedCPUs on " + String.join(", ", HOST_UNITS)
                : Cpuset.CPUS + " of the top-level cgroups";
    }

    private static String shown(String value) {
        return value.isEmpty() ? "(empty: all CPUs)" : value;
    }

    /** Interrupts are many: one line for all of them. */
    private static final class IrqCount {
        int changed;
        int notMovable;
        int unchanged;

        void add(KnobFiles.Outcome outcome) {
            switch (outcome) {
                case CHANGED -> changed++;
                case NOT_MOVABLE -> notMovable++;
                default -> unchanged++;
            }
        }

        boolean isEmpty() {
            return changed + notMovable + unchanged == 0;
        }

        void report(Consumer<String> report, CpuSet hostCpus) {
            if (isEmpty()) {
                return;
            }
            report.accept("change isolcpu: " + changed + " interrupts moved to CPUs " + hostCpus + " (or the host CPUs they had)"
                    + (unchanged == 0 ? "" : ", " + unchanged + " already there")
                    + (notMovable == 0 ? "" : ", " + notMovable + " not movable (managed by the kernel or per-CPU), left alone"));
        }
    }
}
