package io.github.libvirthooks.features.cpufreq;

import io.github.libvirthooks.sysfs.cpu.CpuFreq;
import io.github.libvirthooks.sysfs.cpu.CpuFreq.Policy;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * What one VM asks of one cpufreq policy, after checking each knob against what the driver
 * offers: a knob the driver lacks, or a value it does not offer, is left out with a line naming
 * what it does offer, since a VM should not fail to start over its CPU's clock.
 *
 * @param policy the policy
 * @param driver its {@code scaling_driver}, empty if unknown
 * @param cpus   the VM's CPUs in it
 * @param shared every CPU of the policy: the others change too
 * @param wanted the knobs to set and their values, in apply order; empty when nothing applies
 */
record PolicyRequest(Policy policy, String driver, CpuSet cpus, CpuSet shared, Map<CpufreqKnob, String> wanted) {
    PolicyRequest {
        wanted = Collections.unmodifiableMap(new EnumMap<>(wanted));
    }

    static PolicyRequest of(CpuFreq freq, Policy policy, CpuSet cpus, CpufreqOptions options, Consumer<String> report) {
        String driver = freq.driver(policy);
        String named = policy + " (CPUs " + freq.cpus(policy) + (driver.isEmpty() ? "" : ", " + driver) + ")";
        Map<CpufreqKnob, String> wanted = new EnumMap<>(CpufreqKnob.class);
        if (options.epp().isPresent()) {
            String epp = options.epp().get();
            if (!freq.has(policy, CpufreqKnob.EPP.file())) {
                report.accept((options.eppExplicit() ? "warn   " : "info   ") + "cpufreq: " + named + " has no "
                        + CpufreqKnob.EPP.file() + " (amd-pstate and intel_pstate in active mode have one); left alone");
            } else {
                List<String> offered = freq.availablePreferences(policy);
                if (!offered.isEmpty() && !offered.contains(epp)) {
                    report.accept("warn   cpufreq: " + named + " does not offer epp '" + epp + "'; available: "
                            + String.join(" ", offered) + "; left alone");
                } else {
                    wanted.put(CpufreqKnob.EPP, epp);
                }
            }
        }
        if (options.minFreq().isPresent()) {
            OptionalLong min = freq.cpuinfoMinFreq(policy);
            OptionalLong max = freq.cpuinfoMaxFreq(policy);
            OptionalLong asked = options.minFreqFor(max);
            if (!freq.has(policy, CpufreqKnob.MIN_FREQ.file())) {
                report.accept("warn   cpufreq: " + named + " has no " + CpufreqKnob.MIN_FREQ.file() + "; min-freq left alone");
            } else if (asked.isEmpty()) {
                report.accept("warn   cpufreq: " + named + " does not show cpuinfo_max_freq, so min-freq='max' is unknown;"
                        + " give kHz instead; left alone");
            } else if ((min.isPresent() && asked.getAsLong() < min.getAsLong()) || (max.isPresent() && asked.getAsLong() > max.getAsLong())) {
                report.accept("warn   cpufreq: min-freq " + asked.getAsLong() + " kHz is outside what " + named + " can run at ("
                        + (min.isPresent() ? min.getAsLong() : "?") + " to " + (max.isPresent() ? max.getAsLong() : "?")
                        + " kHz); left alone");
            } else {
                wanted.put(CpufreqKnob.MIN_FREQ, Long.toString(asked.getAsLong()));
            }
        }
        List<String> governors = freq.availableGovernors(policy);
        if (!governors.isEmpty() && !governors.contains(options.governor())) {
            report.accept("warn   cpufreq: " + named + " does not offer governor '" + options.governor() + "'; available: "
                    + String.join(" ", governors) + "; left as it is (a generic governor may need its module,"
                    + " modprobe cpufreq_" + options.governor() + ")");
        } else {
            wanted.put(CpufreqKnob.GOVERNOR, options.governor());
        }
        return new PolicyRequest(policy, driver, cpus, freq.cpus(policy), wanted);
    }

    /** How plan's effects show it. */
    Map<String, Object> shown() {
        Map<String, Object> shown = new java.util.LinkedHashMap<>();
        shown.put("policy", policy.name());
        shown.put("driver", driver);
        shown.put("cpus", cpus.toList());
        shown.put("policyCpus", shared.toList());
        Map<String, String> set = new java.util.LinkedHashMap<>();
        wanted.forEach((knob, value) -> set.put(knob.word(), value));
        shown.put("set", set);
        return shown;
    }
}
