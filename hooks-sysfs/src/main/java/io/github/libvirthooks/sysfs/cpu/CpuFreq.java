package io.github.libvirthooks.sysfs.cpu;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The cpufreq scaling governor of each CPU: {@code /sys/devices/system/cpu/cpuN/cpufreq/scaling_governor}
 * and {@code scaling_available_governors}.
 *
 * <p>Virtual machines and some hosts have no cpufreq driver, hence no {@code cpufreq}
 * directory: check {@link #isSupported(int)} before offering the knob. CPUs that share a
 * frequency domain share one cpufreq policy, so setting the governor of one changes its
 * siblings in that policy too; the {@link Change} still names the file written.
 */
public final class CpuFreq {
    /** Governor names are at most CPUFREQ_NAME_LEN - 1 = 15 characters of this kind. */
    private static final Pattern GOVERNOR = Pattern.compile("[a-z0-9_]{1,15}");

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
