package io.github.libvirthooks.app.status;

import io.github.libvirthooks.features.engine.Feature;
import io.github.libvirthooks.features.hook.HookSetup;
import io.github.libvirthooks.features.state.DamagedJournal;
import io.github.libvirthooks.features.state.JournalEntry;
import io.github.libvirthooks.features.state.VmJournal;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cgroup.CgroupMounts;
import io.github.libvirthooks.sysfs.hugetlb.HugePageCounters;
import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;
import io.github.libvirthooks.sysfs.hugetlb.HugePages;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code status} shows: per VM what is applied to the host, from the journal, plus host
 * facts. Its JSON form ({@code status --json}) is a stable interface: fields are only added.
 *
 * @param formatVersion version of this JSON shape
 * @param stateDir      the journal directory
 * @param vms           VMs with host changes applied
 * @param damaged       journals that could not be read, with why, as {@code FILE: PROBLEM} lines
 * @param host          host facts
 * @param recentLog     the last lines of the hook log
 * @param damagedJournals the same journals, each with its file, problem, VM (when known) and what to do
 */
public record StatusReport(int formatVersion, String stateDir, List<VmState> vms, List<String> damaged, HostFacts host,
        List<String> recentLog, List<DamagedJournalView> damagedJournals) {

    /** One VM's applied changes. */
    public record VmState(String name, String uuid, Instant updated, List<Applied> applied) {
    }

    /** One journal entry, as applied to the host. */
    public record Applied(String feature, String kind, String key, Map<String, String> values) {
    }

    /** Facts about the host that explain what the features can do. */
    public record HostFacts(String cgroupVersion, List<HugePagePoolState> hugepages) {
    }

    /** One hugepage pool's counters. */
    public record HugePagePoolState(String size, long nr, long free, long reserved, long surplus) {
    }

    /** Reads the journals, the host and the log. */
    public static StatusReport read(HookSetup setup) {
        List<DamagedJournal> damaged = new ArrayList<>();
        List<VmState> vms = new ArrayList<>();
        for (VmJournal journal : setup.state().loadAll(damaged)) {
            List<Applied> applied = new ArrayList<>();
            for (JournalEntry e : journal.entries()) {
                applied.add(new Applied(e.feature(), e.kind().name().toLowerCase(java.util.Locale.ROOT), e.key(),
                        e.kind() == JournalEntry.Kind.CLAIM ? describe(e, setup) : e.values()));
            }
            vms.add(new VmState(journal.vmName(), journal.uuid(), journal.updated(), applied));
        }
        return new StatusReport(2, setup.stateDir().toString(), vms, damaged.stream().map(DamagedJournal::describe).toList(),
                hostFacts(setup.host()), setup.log().tail(10), damaged.stream().map(DamagedJournalView::of).toList());
    }

    /**
     * A claim as its feature's codec names it: the journal's own keys are internal. A claim that
     * cannot be decoded, or of a feature this build does not have, shows its raw values and why.
     */
    private static Map<String, String> describe(JournalEntry claim, HookSetup setup) {
        Optional<Feature> feature = setup.features().all().stream().filter(f -> f.name().equals(claim.feature())).findFirst();
        if (feature.isEmpty()) {
            return withProblem(claim, "no feature " + claim.feature() + " in this build");
        }
        try {
            return feature.get().describeClaim(claim);
        } catch (RuntimeException e) {
            return withProblem(claim, String.valueOf(e.getMessage()));
        }
    }

    private static Map<String, String> withProblem(JournalEntry claim, String problem) {
        Map<String, String> raw = new java.util.TreeMap<>(claim.values());
        raw.put("problem", problem);
        return raw;
    }

    private static HostFacts hostFacts(HostRoot host) {
        String cgroups;
        try {
            cgroups = CgroupMounts.read(host).version().name().toLowerCase(java.util.Locale.ROOT);
        } catch (RuntimeException e) {
            cgroups = "unknown (" + e.getMessage() + ")";
        }
        List<HugePagePoolState> pools = new ArrayList<>();
        try {
            HugePages hugePages = new HugePages(host);
            for (HugePageSize size : hugePages.supportedSizes()) {
                HugePageCounters c = hugePages.counters(size);
                pools.add(new HugePagePoolState(size.toString(), c.nrHugepages(), c.freeHugepages(), c.resvHugepages(),
                        c.surplusHugepages()));
            }
        } catch (RuntimeException e) {
            // A host without hugepage support simply has no pools to show.
        }
        return new HostFacts(cgroups, pools);
    }

    /** The human-readable form. */
    public String toText() {
        StringBuilder out = new StringBuilder();
        if (vms.isEmpty()) {
            // A damaged journal is never "nothing applied": what it records is unknown.
            out.append(damagedJournals.isEmpty() ? "No VM has host changes applied" : "No readable journal; what the damaged"
                    + " ones below record is unknown").append(" (state: ").append(stateDir).append(").\n");
        }
        for (VmState vm : vms) {
            out.append("VM ").append(vm.name()).append(vm.uuid().isEmpty() ? "" : " (" + vm.uuid() + ")")
                    .append(", updated ").append(vm.updated()).append('\n');
            for (Applied a : vm.applied()) {
                out.append("  ").append(a.feature()).append(' ').append(a.kind()).append(' ').append(a.key());
                if (a.kind().equals("change")) {
                    out.append(" = ").append(a.values().get("after")).append(" (was ").append(a.values().get("before")).append(')');
                } else {
                    out.append(' ').append(a.values());
                }
                out.append('\n');
            }
        }
        // One line each: what is wrong, what it blocks, what to do.
        damagedJournals.forEach(d -> out.append(d.toText()).append('\n'));
        out.append("Host: cgroup ").append(host.cgroupVersion());
        for (HugePagePoolState p : host.hugepages()) {
            out.append("; ").append(p.size()).append(" pages ").append(p.nr()).append(" (free ").append(p.free())
                    .append(", reserved ").append(p.reserved()).append(')');
        }
        out.append('\n');
        if (!recentLog.isEmpty()) {
            out.append("Recent hook log:\n");
            recentLog.forEach(l -> out.append("  ").append(l).append('\n'));
        }
        return out.toString();
    }
}
