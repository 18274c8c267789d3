package io.github.libvirthooks.features.cfscpu;

import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.cgroup.CpuController;
import io.github.libvirthooks.sysfs.sched.SchedPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The options of {@code cfscpu}, checked before anything changes.
 *
 * @param policy    the scheduling policy of the vCPU threads
 * @param priority  the real-time priority, 1..99, for fifo and rr; 0 otherwise
 * @param nice      the nice value for other and batch (default -1); empty for the others, which ignore it
 * @param weight    the CFS weight of the vCPU cgroups, when given
 * @param iothreads true to treat the IOThreads like the vCPU threads
 * @param overrideLibvirt true to set threads libvirt already schedules ({@code <vcpusched>}, {@code <iothreadsched>}) too
 * @param rtRuntime the RT runtime per period while the VM runs ({@code -1}: no RT throttling), when given
 */
record CfscpuOptions(SchedPolicy policy, int priority, OptionalInt nice, OptionalInt weight, boolean iothreads, boolean overrideLibvirt,
        OptionalLong rtRuntime) {

    static final Set<String> NAMES = CfscpuFeature.SPEC.optionNames();
    static final int DEFAULT_NICE = -1;

    /** Parses and checks the options, naming the bad key, its value and what is allowed. */
    static CfscpuOptions parse(Map<String, String> options) {
        List<String> unknown = new ArrayList<>(options.keySet());
        unknown.removeAll(NAMES);
        if (!unknown.isEmpty()) {
            throw new FeatureException("unknown option '" + unknown.get(0)
                    + "'; cfscpu takes: " + String.join(", ", NAMES));
        }
        SchedPolicy policy = switch (options.getOrDefault("policy", "other")) {
            case "other" -> SchedPolicy.OTHER;
            case "batch" -> SchedPolicy.BATCH;
            case "idle" -> SchedPolicy.IDLE;
            case "fifo" -> SchedPolicy.FIFO;
            case "rr" -> SchedPolicy.RR;
            default -> throw new FeatureException("invalid policy '" + options.get("policy") + "': use other, batch, idle, fifo or rr");
        };
        int priority = 0;
        if (options.containsKey("priority")) {
            if (!policy.isRealTime()) {
                throw new FeatureException("priority applies to policy fifo or rr only; with policy " + options.getOrDefault("policy", "other")
                        + " use nice instead");
            }
            priority = (int) number(options, "priority", 1, 99);
        } else if (policy.isRealTime()) {
            priority = 1;
        }
        OptionalInt nice = OptionalInt.empty();
        boolean takesNice = policy == SchedPolicy.OTHER || policy == SchedPolicy.BATCH;
        if (options.containsKey("nice")) {
            if (!takesNice) {
                throw new FeatureException("nice has no effect with policy " + options.get("policy")
                        + "; leave it out, or use policy other or batch");
            }
            nice = OptionalInt.of((int) number(options, "nice", -20, 19));
        } else if (takesNice) {
            nice = OptionalInt.of(DEFAULT_NICE);
        }
        OptionalInt weight = options.containsKey("weight")
                ? OptionalInt.of((int) number(options, "weight", CpuController.MIN_WEIGHT, CpuController.MAX_WEIGHT))
                : OptionalInt.empty();
        boolean iothreads = switch (options.getOrDefault("iothreads", "false")) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new FeatureException("invalid iothreads '" + options.get("iothreads") + "': use true or false");
        };
        boolean overrideLibvirt = switch (options.getOrDefault("override-libvirt", "false")) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new FeatureException("invalid override-libvirt '" + options.get("override-libvirt") + "': use true or false");
        };
        OptionalLong rtRuntime = OptionalLong.empty();
        if (options.containsKey("rt-runtime")) {
            if (!policy.isRealTime()) {
                throw new FeatureException("rt-runtime applies to policy fifo or rr only");
            }
            rtRuntime = OptionalLong.of(number(options, "rt-runtime", -1, Integer.MAX_VALUE));
        }
        return new CfscpuOptions(policy, priority, nice, weight, iothreads, overrideLibvirt, rtRuntime);
    }

    private static long number(Map<String, String> options, String name, long min, long max) {
        String text = options.get(name).strip();
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new FeatureException("invalid " + name + " '" + text + "': must be a number " + min + ".." + max);
        }
        if (value < min || value > max) {
            throw new FeatureException("invalid " + name + " " + value + ": must be " + min + ".." + max);
        }
        return value;
    }

    /** How the report names the wanted scheduling: {@code SCHED_FIFO priority 10}, {@code SCHED_OTHER nice -1}. */
    String describe() {
        return policy.kernelName() + (policy.isRealTime() ? " priority " + priority : "")
                + (nice.isPresent() ? " nice " + nice.getAsInt() : "");
    }
}
