package io.github.libvirthooks.features.cpufreq;

import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.engine.ClaimingFeature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.FeatureContext.VmClaim;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.FeatureSpec;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.engine.SpecifiedFeature;
import io.github.libvirthooks.features.isolcpu.VmCpus;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cpu.CpuFreq;
import io.github.libvirthooks.sysfs.cpu.CpuFreq.Policy;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import io.github.libvirthooks.sysfs.cpu.CpuTopology;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * {@code cpufreq}: while the VM runs, its CPUs run at the performance governor (and, where the
 * driver has one, the performance energy-performance preference; optionally a raised
 * {@code scaling_min_freq}), and get their old settings back when the last VM asking for them
 * releases.
 *
 * <p>The kernel's knobs belong to cpufreq policies, not CPUs: the CPUs of one frequency domain
 * share one {@code cpufreq/policyM} directory. So a claim is per policy ({@link CpufreqClaim}),
 * recorded with the originals before the first write: two VMs whose CPUs fall in one policy
 * share it (the second copies the first's originals, since the host shows the VM's values by
 * then), and the release of the last of them puts the originals back. VMs sharing a policy must
 * ask the same of it; a second VM asking otherwise is refused, since one of them would silently
 * not get what it asked.
 */
public final class CpufreqFeature implements ClaimingFeature<CpufreqClaim>, SpecifiedFeature {
    public static final String NAME = "cpufreq";
    /** What this feature is: its events and options (the README's table is checked against it). */
    public static final FeatureSpec SPEC = FeatureSpec.named(NAME, "run the VM's CPUs at the performance governor while it runs")
            .at(HookOperation.PREPARE)
            .option("cpus", "the vCPUs' CPUs")
            .option("governor", "`performance`")
            .option("epp", "`performance`")
            .option("min-freq", "unchanged")
            .build();

    @Override
    public FeatureSpec spec() {
        return SPEC;
    }

    @Override
    public ClaimCodec<CpufreqClaim> claimCodec() {
        return CpufreqClaim.CODEC;
    }

    @Override
    public void apply(FeatureContext context) {
        CpufreqOptions options = CpufreqOptions.parse(context.options());
        Consumer<String> report = context.report();
        HostRoot host = context.claimedHost();
        CpuTopology topology = CpuTopology.read(host);
        CpuSet cpus = cpus(options, context, topology);
        context.effect("cpus", cpus.toList());
        CpuSet offline = cpus.difference(topology.online());
        if (!offline.isEmpty()) {
            throw new FeatureException("cpufreq: CPUs " + offline + " are not online (online: " + topology.online()
                    + "); fix the pins or the cpus option");
        }
        CpuFreq freq = new CpuFreq(host);
        Map<Policy, CpuSet> policies = new LinkedHashMap<>();
        CpuSet without = CpuSet.empty();
        for (int cpu : cpus.stream().toArray()) {
            Optional<Policy> policy = freq.policyOf(cpu);
            if (policy.isPresent()) {
                policies.merge(policy.get(), CpuSet.of(cpu), CpuSet::union);
            } else {
                without = without.union(CpuSet.of(cpu));
            }
        }
        if (!without.isEmpty()) {
            report.accept("warn   cpufreq: CPUs " + without + " have no cpufreq driver (no " + CpuFreq.POLICIES.replace("/cpufreq", "")
                    + "/cpuN/cpufreq), as in a virtual machine or with the driver not loaded; their clock is left alone");
        }
        List<VmClaim<CpufreqClaim>> others = context.otherVmClaims(CpufreqClaim.CODEC);
        List<PolicyRequest> requests = new ArrayList<>();
        List<CpufreqClaim> claims = new ArrayList<>();
        for (Map.Entry<Policy, CpuSet> e : policies.entrySet()) {
            PolicyRequest request = PolicyRequest.of(freq, e.getKey(), e.getValue(), options, report);
            requests.add(request);
            CpuSet beyond = request.shared().difference(cpus);
            if (!beyond.isEmpty()) {
                report.accept("info   cpufreq: " + request.policy() + " also drives CPUs " + beyond
                        + ", which share one frequency control with the VM's CPUs " + request.cpus() + ": they change too");
            }
            if (request.wanted().isEmpty()) {
                continue;
            }
            List<VmClaim<CpufreqClaim>> sharing = sharing(others, request.policy());
            Map<CpufreqKnob, String> originals = new LinkedHashMap<>();
            if (!sharing.isEmpty()) {
                CpufreqClaim first = sharing.get(0).claim();
                if (!first.wanted().equals(request.wanted())) {
                    throw new FeatureException("cpufreq: " + request.policy() + " (CPUs " + request.shared() + ") is set to "
                            + CpufreqClaim.describe(first.wanted()) + " for " + sharing.get(0).vm() + ", and this VM asks "
                            + CpufreqClaim.describe(request.wanted()) + "; VMs sharing a cpufreq policy must ask the same of it:"
                            + " give both the same cpufreq options, or CPUs of other policies");
                }
                // The host shows the running VMs' values now: their originals are the host's.
                originals.putAll(first.originals());
            } else {
                request.wanted().keySet().forEach(knob -> originals.put(knob, knob.read(freq, request.policy())));
            }
            claims.add(new CpufreqClaim(request.policy(), request.cpus(), request.wanted(), originals));
        }
        context.effect("policies", requests.stream().map(PolicyRequest::shown).toList());
        for (CpufreqClaim claim : claims) {
            // Recorded before the first write: after a crash, release knows every original.
            context.claim(CpufreqClaim.CODEC, claim);
            List<VmClaim<CpufreqClaim>> sharing = sharing(others, claim.policy());
            report.accept("claim  cpufreq: " + claim.policy() + " for CPUs " + claim.cpus()
                    + (sharing.isEmpty() ? "" : ", shared with " + names(sharing)));
            for (Map.Entry<CpufreqKnob, String> e : claim.wanted().entrySet()) {
                CpufreqKnob knob = e.getKey();
                // The engine reports each write as a change line.
                if (!knob.read(freq, claim.policy()).equals(e.getValue())) {
                    knob.write(freq, claim.policy(), e.getValue());
                }
            }
        }
    }

    @Override
    public void undo(CpufreqClaim claim, FeatureContext context) {
        Consumer<String> report = context.report();
        String vmName = context.invocation().vmName();
        if (!context.damagedJournals().isEmpty()) {
            report.accept("keep   cpufreq: " + claim.policy() + " stays as it is: another VM's journal "
                    + context.damagedJournals().get(0).shownFile() + " cannot be read, so " + vmName
                    + " may not be the last VM using it");
            context.requireCountableClaims();
        }
        List<VmClaim<CpufreqClaim>> remaining = sharing(context.otherVmClaims(CpufreqClaim.CODEC), claim.policy());
        Map<CpufreqKnob, String> target = remaining.isEmpty() ? claim.originals() : remaining.get(0).claim().wanted();
        CpuFreq freq = new CpuFreq(context.host());
        List<CpufreqKnob> order = new ArrayList<>(claim.wanted().keySet());
        Collections.reverse(order);
        List<String> failures = new ArrayList<>();
        for (CpufreqKnob knob : order) {
            String value = target.get(knob);
            String file = claim.policy().file(knob.file());
            if (value == null) {
                continue;
            }
            try {
                if (!freq.has(claim.policy(), knob.file())) {
                    // The driver went away or the CPUs went offline: the setting went with it.
                    report.accept("info   cpufreq: " + file + " is gone; nothing to put back");
                    continue;
                }
                if (!knob.read(freq, claim.policy()).equals(value)) {
                    knob.write(freq, claim.policy(), value);
                    report.accept("undo   cpufreq: " + file + " = " + value + (remaining.isEmpty() ? " (original)"
                            : " (kept for " + names(remaining) + ")"));
                }
            } catch (HostAccessException | IllegalArgumentException e) {
                failures.add(file + ": " + e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new FeatureException(failures.size() + " cpufreq settings of " + claim.policy() + " could not be restored ("
                    + failures.get(0) + (failures.size() > 1 ? "; ..." : "") + "); run 'libvirt-hooks restore' once the cause is fixed");
        }
        report.accept("undo   cpufreq: " + claim.policy() + (remaining.isEmpty() ? " back to " + CpufreqClaim.describe(claim.originals())
                : " stays " + CpufreqClaim.describe(target) + " for " + names(remaining)));
    }

    /** The CPUs the options name: every online CPU, a list, or the VM's pinned CPUs. */
    private static CpuSet cpus(CpufreqOptions options, FeatureContext context, CpuTopology topology) {
        if (options.cpus().isPresent()) {
            return options.cpus().get().equals(CpufreqOptions.ALL) ? topology.online() : CpuSet.parseList(options.cpus().get());
        }
        try {
            return VmCpus.pinned(context.domain()).cpus();
        } catch (FeatureException e) {
            throw new FeatureException("cpufreq: the CPUs of " + context.domain().name() + " are unknown at prepare (not every"
                    + " vCPU has a <vcpupin> or <vcpu cpuset>, or numad places them): pin the vCPUs, or set cpus='all' or a CPU"
                    + " list such as cpus='2-7'");
        }
    }

    private static List<VmClaim<CpufreqClaim>> sharing(List<VmClaim<CpufreqClaim>> claims, Policy policy) {
        return claims.stream().filter(c -> c.resource().equals(policy.name())).toList();
    }

    private static String names(List<VmClaim<CpufreqClaim>> claims) {
        return claims.stream().map(VmClaim::vm).distinct().collect(Collectors.joining(", "));
    }
}
