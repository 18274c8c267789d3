package io.github.libvirthooks.features.cpufreq;

import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.cpu.CpuFreq;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The options of {@code cpufreq}, checked before anything changes.
 *
 * @param cpus        which CPUs: the VM's pinned CPUs (empty), every online CPU ({@link #ALL}), or a list
 * @param governor    the governor to set
 * @param epp         the energy-performance preference to set where the driver has one
 * @param eppExplicit true when {@code epp} was given: its absence on a driver is then a warning, not a note
 * @param minFreq     {@code scaling_min_freq} to set: kHz, or {@link #MAX} for the CPU's highest frequency; empty leaves it
 */
record CpufreqOptions(Optional<String> cpus, String governor, Optional<String> epp, boolean eppExplicit,
        Optional<String> minFreq) {
    static final String ALL = "all";
    static final String MAX = "max";

    /** Parses and checks the options, naming the bad key, its value and what is allowed. */
    static CpufreqOptions parse(Map<String, String> options) {
        List<String> unknown = new ArrayList<>(options.keySet());
        unknown.removeAll(CpufreqFeature.SPEC.optionNames());
        if (!unknown.isEmpty()) {
            throw new FeatureException("unknown option '" + unknown.get(0) + "'; cpufreq takes: "
                    + String.join(", ", CpufreqFeature.SPEC.optionNames()));
        }
        Optional<String> cpus = Optional.ofNullable(options.get("cpus")).map(String::strip);
        if (cpus.isPresent() && !cpus.get().equals(ALL)) {
            try {
                if (io.github.libvirthooks.sysfs.cpu.CpuSet.parseList(cpus.get()).isEmpty()) {
                    throw new IllegalArgumentException("empty");
                }
            } catch (IllegalArgumentException e) {
                throw new FeatureException("invalid cpus '" + cpus.get() + "': use all, or a CPU list such as 2-7,10-15"
                        + " (leave it out for the VM's pinned CPUs)");
            }
        }
        String governor = options.getOrDefault("governor", "performance").strip();
        if (!CpuFreq.isGovernor(governor)) {
            throw new FeatureException("invalid governor '" + governor + "': a governor name such as performance, schedutil"
                    + " or powersave");
        }
        String eppText = options.getOrDefault("epp", "performance").strip();
        Optional<String> epp = eppText.equals("off") ? Optional.empty() : Optional.of(eppText);
        if (epp.isPresent() && !CpuFreq.isPreference(epp.get())) {
            throw new FeatureException("invalid epp '" + eppText + "': a preference such as performance, balance_performance,"
                    + " or off to leave it alone");
        }
        Optional<String> minFreq = Optional.ofNullable(options.get("min-freq")).map(String::strip);
        if (minFreq.isPresent() && !minFreq.get().equals(MAX) && (!CpuFreq.isFrequency(minFreq.get())
                || Long.parseLong(minFreq.get()) == 0)) {
            throw new FeatureException("invalid min-freq '" + minFreq.get() + "': kHz as scaling_min_freq takes them"
                    + " (3000000 for 3 GHz), or max for the CPU's highest frequency");
        }
        return new CpufreqOptions(cpus, governor, epp, options.containsKey("epp"), minFreq);
    }

    /** The kHz min-freq asks for on a policy whose hardware range is known, if it asks. */
    OptionalLong minFreqFor(OptionalLong cpuinfoMax) {
        if (minFreq.isEmpty()) {
            return OptionalLong.empty();
        }
        if (minFreq.get().equals(MAX)) {
            return cpuinfoMax;
        }
        return OptionalLong.of(Long.parseLong(minFreq.get()));
    }
}
