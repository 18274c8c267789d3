package io.github.libvirthooks.sysfs.cgroup;

import io.github.libvirthooks.sysfs.Change;
import java.util.Objects;

/**
 * The {@code cpu} controller files of one cgroup v2 cgroup: the CFS weight (Linux
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

    /** The file of the CFS weight. */
    public static final String WEIGHT = "cpu.weight";

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

    private long readNumber(String file, long min, long max) {
        String text = cgroup.readFile(file, hint()).strip();
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
        return cgroup.writeFile(file, value, hint());
    }

    private String hint() {
        if (cgroup.isRoot()) {
            return "cpu controller files exist only in child cgroups";
        }
        return "the cpu controller is not enabled for it (write +cpu to "
                + cgroup.parent().map(p -> p.fileHostPath("cgroup.subtree_control")).orElseThrow() + ")";
    }
}
