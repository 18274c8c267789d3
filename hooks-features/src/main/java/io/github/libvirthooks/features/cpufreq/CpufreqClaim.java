package io.github.libvirthooks.features.cpufreq;

import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.sysfs.cpu.CpuFreq.Policy;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One VM's share of one cpufreq policy: the VM's CPUs in it, the values it asks the policy's
 * knobs for, and each knob's value before any VM changed it (copied from the VMs already
 * sharing the policy, read from the host by the first), so that whichever VM releases the
 * policy last puts them back.
 *
 * @param policy    the policy, which is the journal resource: CPUs of one policy share its knobs
 * @param cpus      the VM's CPUs in the policy
 * @param wanted    the value of each knob this VM sets, in apply order
 * @param originals each of those knobs' value before any VM set it
 */
record CpufreqClaim(Policy policy, CpuSet cpus, Map<CpufreqKnob, String> wanted, Map<CpufreqKnob, String> originals) {
    static final Codec CODEC = new Codec();

    CpufreqClaim {
        if (!wanted.keySet().equals(originals.keySet()) || wanted.isEmpty()) {
            throw new IllegalArgumentException("a cpufreq claim holds an original for each knob it sets, and sets one at least");
        }
        wanted.forEach(CpufreqClaim::check);
        originals.forEach(CpufreqClaim::check);
        wanted = Collections.unmodifiableMap(new EnumMap<>(wanted));
        originals = Collections.unmodifiableMap(new EnumMap<>(originals));
    }

    private static void check(CpufreqKnob knob, String value) {
        if (!knob.accepts(value)) {
            throw new IllegalArgumentException("invalid " + knob.word() + " '" + value + "'");
        }
    }

    /** {@code governor=performance epp=performance}, as lines show what a VM asks of a policy. */
    static String describe(Map<CpufreqKnob, String> values) {
        StringBuilder out = new StringBuilder();
        values.forEach((knob, value) -> out.append(out.length() == 0 ? "" : " ").append(knob.word()).append('=').append(value));
        return out.toString();
    }

    /** The journal form: {@code cpus}, {@code set:KNOB} and {@code orig:KNOB} per knob; the resource is the policy. */
    static final class Codec implements ClaimCodec<CpufreqClaim> {
        private static final String SET = "set:";
        private static final String ORIGINAL = "orig:";

        private Codec() {
        }

        @Override
        public String feature() {
            return CpufreqFeature.NAME;
        }

        @Override
        public String resource(CpufreqClaim claim) {
            return claim.policy().name();
        }

        @Override
        public Map<String, String> encode(CpufreqClaim claim) {
            Map<String, String> values = new LinkedHashMap<>();
            values.put("cpus", claim.cpus().toList());
            claim.wanted().forEach((knob, value) -> values.put(SET + knob.word(), value));
            claim.originals().forEach((knob, value) -> values.put(ORIGINAL + knob.word(), value));
            return values;
        }

        @Override
        public CpufreqClaim decode(String resource, Map<String, String> values) {
            Policy policy = new Policy(resource);
            CpuSet cpus = CpuSet.parseList(ClaimCodec.required(values, "cpus"));
            Map<CpufreqKnob, String> wanted = new EnumMap<>(CpufreqKnob.class);
            Map<CpufreqKnob, String> originals = new EnumMap<>(CpufreqKnob.class);
            for (Map.Entry<String, String> e : values.entrySet()) {
                String key = e.getKey();
                if (key.equals("cpus")) {
                    continue;
                }
                Map<CpufreqKnob, String> into = key.startsWith(SET) ? wanted : key.startsWith(ORIGINAL) ? originals : null;
                String word = into == wanted ? key.substring(SET.length()) : into == originals ? key.substring(ORIGINAL.length()) : "";
                CpufreqKnob knob = CpufreqKnob.fromWord(word)
                        .orElseThrow(() -> new IllegalArgumentException("unknown value '" + key + "'"));
                into.put(knob, e.getValue());
            }
            return new CpufreqClaim(policy, cpus, wanted, originals);
        }

        /** What {@code status} shows: the CPUs, what the VM set, and each original. */
        @Override
        public Map<String, String> describe(CpufreqClaim claim) {
            Map<String, String> shown = new LinkedHashMap<>();
            shown.put("cpus", claim.cpus().toList());
            claim.wanted().forEach((knob, value) -> shown.put(knob.word(), value));
            claim.originals().forEach((knob, value) -> shown.put("original " + knob.word(), value));
            return shown;
        }
    }
}
