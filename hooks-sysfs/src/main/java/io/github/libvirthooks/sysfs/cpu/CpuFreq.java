package io.github.libvirthooks.sysfs.cpu;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * The cpufreq scaling governor of each CPU: {@code /sys/devices/system/cpu/cpuN/cpufreq/scaling_governor}
 * and {@code scaling_available_governors}.
 *
 * <p>Virtual machines and some hosts have no cpufreq driver, hence no {@code cpufreq}
 * directory: check {@link #isSupported(int)} before offering the knob. CPUs that share a
 * frequency domain share one cpufreq policy, so setting the governor of one changes its
 * siblings in that policy too; the {@link Change} still names the file written.
 *
 * <p>Since Linux 4.4 each {@code cpuN/cpufreq} is a link to {@code ../cpufreq/policyM}, M the
 * first CPU of the policy's {@code related_cpus}; older kernels linked the other CPUs of a
 * policy to the owner's {@code cpuM/cpufreq}. A {@link Policy} names that one directory, so
 * that callers set and restore a shared knob once, not once per CPU. The policy knobs are
 * {@code scaling_governor}, {@code energy_performance_preference} (amd-pstate and intel_pstate
 * in active mode only) and {@code scaling_min_freq}.
 */
public final class CpuFreq {
    /** Governor names are at most CPUFREQ_NAME_LEN - 1 = 15 characters of this kind. */
    private static final Pattern GOVERNOR = Pattern.compile("[a-z0-9_]{1,15}");
    /** The policy directories of Linux 4.4 and later. */
    public static final String POLICIES = CpuTopology.CPU_DIR + "/cpufreq";
    public static final String SCALING_GOVERNOR = "scaling_governor";
    public static final String ENERGY_PERFORMANCE_PREFERENCE = "energy_performance_preference";
    public static final String SCALING_MIN_FREQ = "scaling_min_freq";
    /** An EPP word ({@code balance_performance}) or, for intel_pstate, a raw 0..255 value. */
    private static final Pattern PREFERENCE = Pattern.compile("[a-z_]{1,32}|[0-9]{1,3}");
    private static final Pattern POLICY_NAME = Pattern.compile("(policy|cpu)(0|[1-9][0-9]{0,3})");
    private static final Pattern FREQUENCY = Pattern.compile("0|[1-9][0-9]{0,9}");

    /**
     * One cpufreq policy: the CPUs that share one frequency control.
     *
     * @param name {@code policyM}, or {@code cpuM} on kernels before 4.4 (the owner CPU's own directory)
     */
    public record Policy(String name) {
        public Policy {
            if (name == null || !POLICY_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("invalid cpufreq policy '" + name + "': expected policyN or cpuN");
            }
            if (Integer.parseInt(name.replaceAll("[a-z]", "")) > CpuSet.MAX_CPU) {
                throw new IllegalArgumentException("invalid cpufreq policy '" + name + "': CPU above " + CpuSet.MAX_CPU);
            }
        }

        /** The policy's directory, derived from its name only (never from a link target). */
        public String dir() {
            return name.startsWith("policy") ? POLICIES + "/" + name : CpuTopology.CPU_DIR + "/" + name + "/cpufreq";
        }

        /** The path of one of its files. */
        public String file(String knob) {
            return dir() + "/" + knob;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private final HostRoot host;

    /** cpufreq below {@code host}. */
    public CpuFreq(HostRoot host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    /** True if the kernel has a cpufreq governor for {@code cpu}. */
    public boolean isSupported(int cpu) {
        return host.exists(governorPath(cpu));
    }

    /**
     * The current governor of {@code cpu}, such as {@code schedutil} or {@code performance}.
     *
     * @throws HostAccessException if the CPU has no cpufreq governor
     */
    public String governor(int cpu) {
        return host.read(requireSupported(cpu)).strip();
    }

    /** The governors {@code cpu} accepts, in the kernel's order; empty if the kernel does not say. */
    public List<String> availableGovernors(int cpu) {
        String path = base(cpu) + "/scaling_available_governors";
        return host.readIfExists(path)
                .map(text -> Arrays.stream(text.strip().split("\\s+")).filter(s -> !s.isEmpty()).toList())
                .orElse(List.of());
    }

    /**
     * Sets the governor of {@code cpu}; the returned change puts the old one back.
     *
     * @throws IllegalArgumentException if {@code governor} is not a governor name or not one this CPU offers
     * @throws HostAccessException      if the CPU has no cpufreq governor or the kernel refuses
     */
    public Change setGovernor(int cpu, String governor) {
        Objects.requireNonNull(governor, "governor");
        if (!GOVERNOR.matcher(governor).matches()) {
            throw new IllegalArgumentException("invalid cpufreq governor '" + governor
                    + "': expected a name like performance, powersave or schedutil");
        }
        String path = requireSupported(cpu);
        List<String> available = availableGovernors(cpu);
        if (!available.isEmpty() && !available.contains(governor)) {
            throw new IllegalArgumentException("cpufreq governor '" + governor + "' is not available on CPU " + cpu
                    + "; available: " + String.join(" ", available) + " (load the governor's module or pick another)");
        }
        return host.write(path, governor);
    }

    /**
     * The policy {@code cpu} belongs to; empty when the CPU has no cpufreq directory (no driver,
     * or a CPU that is offline with a driver that drops its policy).
     */
    public Optional<Policy> policyOf(int cpu) {
        String link = base(cpu);
        Optional<String> target = host.readLink(link);
        if (target.isEmpty()) {
            return host.isDirectory(link) ? Optional.of(new Policy("cpu" + cpu)) : Optional.empty();
        }
        if (!host.isDirectory(link)) {
            return Optional.empty();
        }
        // "../cpufreq/policy2" (Linux 4.4 and later) or "../cpu0/cpufreq" (before).
        String[] parts = target.get().split("/");
        String last = parts[parts.length - 1];
        String name = last.equals("cpufreq") && parts.length >= 2 ? parts[parts.length - 2] : last;
        try {
            return Optional.of(new Policy(name));
        } catch (IllegalArgumentException e) {
            throw new HostAccessException(link, link + " links to " + target.get() + ", which is no cpufreq policy this code knows");
        }
    }

    /** The CPUs of the policy ({@code related_cpus}, online and offline), else its {@code affected_cpus}. */
    public CpuSet cpus(Policy policy) {
        for (String file : new String[] {"related_cpus", "affected_cpus"}) {
            Optional<String> text = host.readIfExists(policy.file(file));
            if (text.isPresent()) {
                // These files separate CPUs by blanks ("0 1 2 3"), not in the cpulist format.
                return CpuSet.parseList(String.join(",", text.get().strip().split("\\s+")));
            }
        }
        return policy.name().startsWith("cpu") ? CpuSet.of(Integer.parseInt(policy.name().substring(3)))
                : CpuSet.of(Integer.parseInt(policy.name().substring(6)));
    }

    /** The policy's driver ({@code scaling_driver}: acpi-cpufreq, amd-pstate, amd-pstate-epp, intel_pstate, intel_cpufreq), empty if unknown. */
    public String driver(Policy policy) {
        return host.readIfExists(policy.file("scaling_driver")).map(String::strip).orElse("");
    }

    /** True when the policy has {@code knob} (a missing file: the driver lacks it). */
    public boolean has(Policy policy, String knob) {
        return host.exists(policy.file(knob));
    }

    /** The policy's governor. */
    public String governor(Policy policy) {
        return host.read(policy.file(SCALING_GOVERNOR)).strip();
    }

    /** The governors the policy offers, in the kernel's order; empty if the kernel does not say. */
    public List<String> availableGovernors(Policy policy) {
        return words(policy.file("scaling_available_governors"));
    }

    /** Sets the policy's governor: every CPU of the policy changes. */
    public Change setGovernor(Policy policy, String governor) {
        if (!isGovernor(governor)) {
            throw new IllegalArgumentException("invalid cpufreq governor '" + governor
                    + "': expected a name like performance, powersave or schedutil");
        }
        return host.write(policy.file(SCALING_GOVERNOR), governor);
    }

    /** The energy-performance preference, empty when the driver has none (acpi-cpufreq, amd-pstate passive, intel_cpufreq). */
    public Optional<String> energyPerformancePreference(Policy policy) {
        return host.readIfExists(policy.file(ENERGY_PERFORMANCE_PREFERENCE)).map(String::strip);
    }

    /** The preferences the policy offers ({@code energy_performance_available_preferences}). */
    public List<String> availablePreferences(Policy policy) {
        return words(policy.file("energy_performance_available_preferences"));
    }

    /** Sets the energy-performance preference. */
    public Change setEnergyPerformancePreference(Policy policy, String preference) {
        if (!isPreference(preference)) {
            throw new IllegalArgumentException("invalid energy_performance_preference '" + preference
                    + "': expected a word like performance or balance_power");
        }
        return host.write(policy.file(ENERGY_PERFORMANCE_PREFERENCE), preference);
    }

    /** {@code scaling_min_freq} in kHz. */
    public long minFreq(Policy policy) {
        return host.readLong(policy.file(SCALING_MIN_FREQ));
    }

    /** The hardware's lowest frequency in kHz ({@code cpuinfo_min_freq}), empty if not shown. */
    public OptionalLong cpuinfoMinFreq(Policy policy) {
        return frequency(policy.file("cpuinfo_min_freq"));
    }

    /** The hardware's highest frequency in kHz ({@code cpuinfo_max_freq}), empty if not shown. */
    public OptionalLong cpuinfoMaxFreq(Policy policy) {
        return frequency(policy.file("cpuinfo_max_freq"));
    }

    /** Sets {@code scaling_min_freq} (kHz); the kernel keeps it at most {@code scaling_max_freq}. */
    public Change setMinFreq(Policy policy, long kHz) {
        if (!isFrequency(Long.toString(kHz))) {
            throw new IllegalArgumentException("invalid frequency " + kHz + " kHz");
        }
        return host.write(policy.file(SCALING_MIN_FREQ), Long.toString(kHz));
    }

    /** True for a governor name the kernel could have. */
    public static boolean isGovernor(String governor) {
        return governor != null && GOVERNOR.matcher(governor).matches();
    }

    /** True for a value {@code energy_performance_preference} could take. */
    public static boolean isPreference(String preference) {
        return preference != null && PREFERENCE.matcher(preference).matches();
    }

    /** True for a kHz value as the kernel prints it. */
    public static boolean isFrequency(String kHz) {
        return kHz != null && FREQUENCY.matcher(kHz).matches();
    }

    private OptionalLong frequency(String path) {
        Optional<String> text = host.readIfExists(path).map(String::strip);
        return text.filter(CpuFreq::isFrequency).map(t -> OptionalLong.of(Long.parseLong(t))).orElse(OptionalLong.empty());
    }

    private List<String> words(String path) {
        return host.readIfExists(path)
                .map(text -> Arrays.stream(text.strip().split("\\s+")).filter(s -> !s.isEmpty()).toList())
                .orElse(List.of());
    }

    private String requireSupported(int cpu) {
        String path = governorPath(cpu);
        if (!host.exists(path)) {
            throw new HostAccessException(path, "CPU " + cpu + " has no cpufreq governor (" + path
                    + " is missing): the kernel has no cpufreq driver for it, which is usual in virtual machines");
        }
        return path;
    }

    private static String governorPath(int cpu) {
        return base(cpu) + "/scaling_governor";
    }

    private static String base(int cpu) {
        if (cpu < 0 || cpu > CpuSet.MAX_CPU) {
            throw new IllegalArgumentException("invalid cpu " + cpu + ": must be 0.." + CpuSet.MAX_CPU);
        }
        return CpuTopology.CPU_DIR + "/cpu" + cpu + "/cpufreq";
    }
}
