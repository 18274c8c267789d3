package io.github.libvirthooks.sysfs.cgroup;

import io.github.libvirthooks.sysfs.Change;
import java.util.Objects;

/**
 * The {@code cpu} controller files of one cgroup v2 cgroup: the CFS weight, the
 * {@code SCHED_IDLE} switch and the bandwidth limit (Linux
 * Documentation/admin-guide/cgroup-v2.rst, "CPU").
 *
 * <p>The files exist only when the parent enables {@code cpu} in its
 * {@code cgroup.subtree_control}; the root cgroup has none of them. Each write checks the
 * range first and that the file exists, and returns the {@link Change}.
 */
public final class CpuController {
    /** Lowest {@code cpu.weight}. */
    public static final int MIN_WEIGHT = 1;
    /** Highest {@code cpu.weight}. */
    public static final int MAX_WEIGHT = 10_000;
    /** {@code cpu.weight} of a new cgroup. */
    public static final int DEFAULT_WEIGHT = 100;
    /** Lowest (highest priority) {@code cpu.weight.nice}. */
    public static final int MIN_NICE = -20;
    /** Highest (lowest priority) {@code cpu.weight.nice}. */
    public static final int MAX_NICE = 19;

    /** The file of the CFS weight. */
    public static final String WEIGHT = "cpu.weight";
    private static final String WEIGHT_NICE = "cpu.weight.nice";
    private static final String IDLE = "cpu.idle";
    private static final String MAX = "cpu.max";

    private final Cgroup cgroup;

    /** The cpu files of {@code cgroup}; see also {@link Cgroup#cpu()}. */
    public CpuController(Cgroup cgroup) {
        this.cgroup = Objects.requireNonNull(cgroup, "cgroup");
    }

    /** The cgroup these files belong to. */
    public Cgroup cgroup() {
        return cgroup;
    }

    /** True when the cgroup has the cpu files (the controller is enabled for it). */
    public boolean isEnabled() {
        return cgroup.hasFile(WEIGHT);
    }

    /** The CFS weight, {@value #MIN_WEIGHT}..{@value #MAX_WEIGHT} ({@code cpu.weight}). */
    public int weight() {
        return (int) readNumber(WEIGHT, MIN_WEIGHT, MAX_WEIGHT);
    }

    /**
     * Sets {@code cpu.weight}.
     *
     * @throws IllegalArgumentException when {@code weight} is outside {@value #MIN_WEIGHT}..{@value #MAX_WEIGHT}
     */
    public Change setWeight(int weight) {
        if (weight < MIN_WEIGHT || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("cpu.weight " + weight + " is out of range: must be " + MIN_WEIGHT + ".." + MAX_WEIGHT
                    + " (default " + DEFAULT_WEIGHT + ")");
        }
        return write(WEIGHT, Integer.toString(weight));
    }

    /** The weight as a nice value, {@value #MIN_NICE}..{@value #MAX_NICE} ({@code cpu.weight.nice}). */
    public int weightNice() {
        return (int) readNumber(WEIGHT_NICE, MIN_NICE, MAX_NICE);
    }

    /**
     * Sets {@code cpu.weight.nice}; the kernel turns it into the nearest {@code cpu.weight}.
     *
     * @throws IllegalArgumentException when {@code nice} is outside {@value #MIN_NICE}..{@value #MAX_NICE}
     */
    public Change setWeightNice(int nice) {
        if (nice < MIN_NICE || nice > MAX_NICE) {
            throw new IllegalArgumentException("cpu.weight.nice " + nice + " is out of range: must be " + MIN_NICE + ".." + MAX_NICE);
        }
        return write(WEIGHT_NICE, Integer.toString(nice));
    }

    /** True when the cgroup's tasks run as {@code SCHED_IDLE} as a group ({@code cpu.idle}, Linux 5.15+). */
    public boolean idle() {
        return readNumber(IDLE, 0, 1) == 1;
    }

    /** Writes {@code cpu.idle} as {@code 1} or {@code 0} (Linux 5.15+). */
    public Change setIdle(boolean idle) {
        return write(IDLE, idle ? "1" : "0");
    }

    /** The bandwidth limit ({@code cpu.max}). */
    public CpuMax max() {
        String text = cgroup.readFile(MAX, hint(MAX));
        try {
            return CpuMax.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CgroupException(cgroup.fileHostPath(MAX), cgroup.fileHostPath(MAX) + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code cpu.max} in the kernel's format ({@code max 100000}, {@code 50000 100000}). */
    public Change setMax(CpuMax max) {
        Objects.requireNonNull(max, "max");
        return write(MAX, max.toString());
    }

    private long readNumber(String file, long min, long max) {
        String text = cgroup.readFile(file, hint(file)).strip();
        String path = cgroup.fileHostPath(file);
        if (!text.matches("-?\\d{1,18}")) {
            throw new CgroupException(path, path + ": expected a number, found '" + (text.length() > 40 ? text.substring(0, 37) + "..." : text) + "'");
        }
        long value = Long.parseLong(text);
        if (value < min || value > max) {
            throw new CgroupException(path, path + ": value " + value + " is outside the documented range " + min + ".." + max);
        }
        return value;
    }

    private Change write(String file, String value) {
        return cgroup.writeFile(file, value, hint(file));
    }

    private String hint(String file) {
        if (cgroup.isRoot()) {
            return "cpu controller files exist only in child cgroups";
        }
        String enable = "the cpu controller is not enabled for it (write +cpu to "
                + cgroup.parent().map(p -> p.fileHostPath("cgroup.subtree_control")).orElseThrow() + ")";
        if (file.equals(IDLE)) {
            return "the kernel does not support " + file + " (needs Linux 5.15 or later), or " + enable;
        }
        if (file.equals(MAX)) {
            return enable + ", or the kernel lacks CFS bandwidth control (CONFIG_CFS_BANDWIDTH)";
        }
        return enable;
    }
}
