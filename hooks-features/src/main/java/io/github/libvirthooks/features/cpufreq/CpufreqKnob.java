package io.github.libvirthooks.features.cpufreq;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.cpu.CpuFreq;
import io.github.libvirthooks.sysfs.cpu.CpuFreq.Policy;
import java.util.Optional;

/**
 * One knob of a cpufreq policy, in apply order. The preference comes before the governor and
 * goes back after it: amd-pstate refuses any preference under the performance governor, and
 * intel_pstate any but performance, so it is set while the old governor still runs and put
 * back once the old governor is back.
 */
enum CpufreqKnob {
    EPP("epp", CpuFreq.ENERGY_PERFORMANCE_PREFERENCE),
    MIN_FREQ("min-freq", CpuFreq.SCALING_MIN_FREQ),
    GOVERNOR("governor", CpuFreq.SCALING_GOVERNOR);

    private final String word;
    private final String file;

    CpufreqKnob(String word, String file) {
        this.word = word;
        this.file = file;
    }

    /** The option and journal name. */
    String word() {
        return word;
    }

    /** The kernel's file name in the policy directory. */
    String file() {
        return file;
    }

    static Optional<CpufreqKnob> fromWord(String word) {
        for (CpufreqKnob knob : values()) {
            if (knob.word.equals(word)) {
                return Optional.of(knob);
            }
        }
        return Optional.empty();
    }

    /** True for a value this knob could hold (checked again on values read back from a journal). */
    boolean accepts(String value) {
        return switch (this) {
            case EPP -> CpuFreq.isPreference(value);
            case MIN_FREQ -> CpuFreq.isFrequency(value);
            case GOVERNOR -> CpuFreq.isGovernor(value);
        };
    }

    String read(CpuFreq freq, Policy policy) {
        return switch (this) {
            case EPP -> freq.energyPerformancePreference(policy).orElseThrow();
            case MIN_FREQ -> Long.toString(freq.minFreq(policy));
            case GOVERNOR -> freq.governor(policy);
        };
    }

    Change write(CpuFreq freq, Policy policy, String value) {
        return switch (this) {
            case EPP -> freq.setEnergyPerformancePreference(policy, value);
            case MIN_FREQ -> freq.setMinFreq(policy, Long.parseLong(value));
            case GOVERNOR -> freq.setGovernor(policy, value);
        };
    }
}
