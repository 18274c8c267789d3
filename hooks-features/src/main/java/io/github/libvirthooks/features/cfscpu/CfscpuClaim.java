package io.github.libvirthooks.features.cfscpu;

import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.sysfs.cgroup.CpuController;
import io.github.libvirthooks.sysfs.kernel.KernelSysctl;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** What {@code cfscpu} changed on the host beyond the threads, which die with QEMU: one claim per host-wide setting. */
sealed interface CfscpuClaim {
    /** The codec the engine and {@link CfscpuFeature} use. */
    Codec CODEC = new Codec();
    /** The resource of {@link RtRuntime} claims: the sysctl's name, as release 1 wrote it. */
    String RT_RUNTIME = KernelSysctl.SCHED_RT_RUNTIME_US_NAME;
    /** The resource of {@link Weight} claims: the file's name, as release 1 wrote it. */
    String WEIGHT = CpuController.WEIGHT;

    /**
     * RT throttling shared by every VM: the looser of the running VMs' limits holds.
     *
     * @param runtime  what this VM asks for, microseconds per period, -1 for no limit
     * @param original the value before the first VM changed it; the last one to release puts it back
     */
    record RtRuntime(long runtime, long original) implements CfscpuClaim {
    }

    /**
     * The CFS weight of this VM's vCPU cgroups.
     *
     * @param weight the weight set
     * @param before each vCPU cgroup's weight before, by the host path of its weight file
     */
    record Weight(int weight, Map<String, Integer> before) implements CfscpuClaim {
        public Weight {
            before = Collections.unmodifiableMap(new LinkedHashMap<>(before));
        }
    }

    /**
     * The journal form, with release 1's keys (format 1): {@code runtime} and {@code original}
     * for RT throttling; {@code weight} and one old weight per file path for the weights.
     */
    final class Codec implements ClaimCodec<CfscpuClaim> {
        private Codec() {
        }

        @Override
        public String feature() {
            return CfscpuFeature.NAME;
        }

        @Override
        public String resource(CfscpuClaim claim) {
            return claim instanceof RtRuntime ? RT_RUNTIME : WEIGHT;
        }

        @Override
        public Map<String, String> encode(CfscpuClaim claim) {
            Map<String, String> values = new LinkedHashMap<>();
            if (claim instanceof RtRuntime rt) {
                values.put("runtime", Long.toString(rt.runtime()));
                values.put("original", Long.toString(rt.original()));
            } else if (claim instanceof Weight w) {
                w.before().forEach((path, weight) -> values.put(path, Integer.toString(weight)));
                values.put("weight", Integer.toString(w.weight()));
            }
            return values;
        }

        @Override
        public CfscpuClaim decode(String resource, Map<String, String> values) {
            if (resource.equals(RT_RUNTIME)) {
                return new RtRuntime(runtime(values, "runtime"), runtime(values, "original"));
            }
            if (!resource.equals(WEIGHT)) {
                throw new IllegalArgumentException("cfscpu claims are on " + RT_RUNTIME + " or " + WEIGHT + ", not '" + resource + "'");
            }
            Map<String, Integer> before = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : values.entrySet()) {
                if (e.getKey().equals("weight")) {
                    continue;
                }
                String path = e.getKey();
                if (!path.startsWith("/") || !path.endsWith("/" + WEIGHT)
                        || !java.nio.file.Path.of(path).normalize().toString().equals(path)) {
                    throw new IllegalArgumentException("'" + path + "' is neither weight nor the path of a vCPU cgroup's " + WEIGHT);
                }
                before.put(path, weight(values, path));
            }
            return new Weight(weight(values, "weight"), before);
        }

        /** What {@code status} shows: RT throttling by name, the weights as "the weight set" and "weights before" per file. */
        @Override
        public Map<String, String> describe(CfscpuClaim claim) {
            Map<String, String> shown = new LinkedHashMap<>();
            if (claim instanceof RtRuntime rt) {
                shown.put(RT_RUNTIME, Long.toString(rt.runtime()));
                shown.put("original " + RT_RUNTIME, Long.toString(rt.original()));
            } else if (claim instanceof Weight w) {
                shown.put(WEIGHT, Integer.toString(w.weight()));
                w.before().forEach((path, weight) -> shown.put("original " + path, Integer.toString(weight)));
            }
            return shown;
        }

        private static long runtime(Map<String, String> values, String name) {
            long v = ClaimCodec.number(values, name);
            if (v < -1 || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(name + "=" + v + " is not an RT runtime (-1 or 0.." + Integer.MAX_VALUE + ")");
            }
            return v;
        }

        private static int weight(Map<String, String> values, String name) {
            long v = ClaimCodec.number(values, name);
            if (v < CpuController.MIN_WEIGHT || v > CpuController.MAX_WEIGHT) {
                throw new IllegalArgumentException(name + "=" + v + " is not a weight (" + CpuController.MIN_WEIGHT + ".."
                        + CpuController.MAX_WEIGHT + ")");
            }
            return (int) v;
        }
    }
}
