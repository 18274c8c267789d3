package io.github.libvirthooks.sysfs.kernel;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * CPU masks of unbound kernel workqueues: the global {@code /sys/devices/virtual/workqueue/cpumask}
 * that limits every unbound workqueue, and the per-workqueue
 * {@code /sys/bus/workqueue/devices/<name>/cpumask} of those the kernel exposes (WQ_SYSFS),
 * notably {@code writeback}.
 *
 * <p>Masks are the kernel's hex format. A new value is formatted as wide as the kernel prints
 * it ({@code nr_cpu_ids} bits), taken from {@code /sys/devices/system/cpu/possible}, or else from
 * the width of the mask read back. Bound (per-CPU) workqueue work cannot be moved at all.
 */
public final class Workqueue {
    /** The global mask of unbound workqueues. */
    public static final String UNBOUND_CPUMASK = "/sys/devices/virtual/workqueue/cpumask";
    static final String DEVICES = "/sys/bus/workqueue/devices";
    static final String POSSIBLE = "/sys/devices/system/cpu/possible";
    static final String ONLINE = "/sys/devices/system/cpu/online";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");

    private final HostRoot host;

    /** Workqueues below {@code host}. */
    public Workqueue(HostRoot host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    /** The CPUs unbound workqueue work may run on. */
    public CpuSet unboundCpumask() {
        return readMask(require(UNBOUND_CPUMASK, "the workqueue cpumask (Linux 4.6+)"));
    }

    /**
     * Limits all unbound workqueues to {@code cpus}.
     *
     * @throws IllegalArgumentException if {@code cpus} is empty or has no online CPU
     */
    public Change setUnboundCpumask(CpuSet cpus) {
        return writeMask(require(UNBOUND_CPUMASK, "the workqueue cpumask (Linux 4.6+)"), cpus);
    }

    /** True if the kernel offers the global mask of unbound workqueues (Linux 4.6+). */
    public boolean offersUnboundCpumask() {
        return host.exists(UNBOUND_CPUMASK);
    }

    /** The host path of workqueue {@code name}'s cpumask: how a journal names the setting. */
    public static String cpumaskPath(String name) {
        return path(name);
    }

    /** The workqueue whose cpumask is at {@code hostPath}, if that is one. */
    public static Optional<String> nameOfCpumask(String hostPath) {
        String prefix = DEVICES + "/";
        String suffix = "/cpumask";
        if (!hostPath.startsWith(prefix) || !hostPath.endsWith(suffix) || hostPath.length() <= prefix.length() + suffix.length()) {
            return Optional.empty();
        }
        String name = hostPath.substring(prefix.length(), hostPath.length() - suffix.length());
        return NAME.matcher(name).matches() && !name.startsWith(".") ? Optional.of(name) : Optional.empty();
    }

    /** True if the kernel exposes workqueue {@code name} with a cpumask. */
    public boolean exposes(String name) {
        return host.exists(path(name));
    }

    /** The cpumask of the exposed workqueue {@code name}. */
    public CpuSet cpumask(String name) {
        return readMask(require(path(name), "a cpumask for workqueue '" + name + "'"));
    }

    /** Sets the cpumask of the exposed workqueue {@code name}. */
    public Change setCpumask(String name, CpuSet cpus) {
        return writeMask(require(path(name), "a cpumask for workqueue '" + name + "'"), cpus);
    }

    private Change writeMask(String path, CpuSet cpus) {
        Objects.requireNonNull(cpus, "cpus");
        if (cpus.isEmpty()) {
            throw new IllegalArgumentException("cannot set " + path + " to no CPU: workqueue work needs at least one");
        }
        Optional<CpuSet> online = readListIfExists(ONLINE);
        if (online.isPresent() && !cpus.intersects(online.get())) {
            throw new IllegalArgumentException("cannot set " + path + " to CPUs " + cpus
                    + ": none of them is online (online: " + online.get() + ")");
        }
        String current = host.read(path);
        int width = readListIfExists(POSSIBLE).map(p -> p.last() + 1).orElse(maskWidth(current));
        if (cpus.last() >= width) {
            throw new IllegalArgumentException("cannot set " + path + " to CPUs " + cpus
                    + ": CPU " + cpus.last() + " is beyond the host's " + width + " possible CPUs");
        }
        return host.write(path, cpus.toMask(width));
    }

    /** How many CPUs a mask as printed by the kernel covers: 32 per full group, 4 per digit of the first. */
    static int maskWidth(String mask) {
        String m = mask.strip();
        int comma = m.indexOf(',');
        String first = comma < 0 ? m : m.substring(0, comma);
        int groups = m.isEmpty() ? 1 : m.split(",", -1).length;
        return Math.max(1, Math.min(CpuSet.MAX_CPU + 1, (groups - 1) * 32 + first.length() * 4));
    }

    private CpuSet readMask(String path) {
        String text = host.read(path);
        try {
            return CpuSet.parseMask(text);
        } catch (IllegalArgumentException e) {
            throw new HostAccessException(path, path + ": " + e.getMessage(), e);
        }
    }

    private Optional<CpuSet> readListIfExists(String path) {
        return host.readIfExists(path).map(text -> {
            try {
                return CpuSet.parseList(text);
            } catch (IllegalArgumentException e) {
                throw new HostAccessException(path, path + ": " + e.getMessage(), e);
            }
        });
    }

    private String require(String path, String feature) {
        if (!host.exists(path)) {
            throw new HostAccessException(path, "the kernel does not offer " + feature + ": " + path + " is missing");
        }
        return path;
    }

    private static String path(String name) {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches() || name.startsWith(".")) {
            throw new IllegalArgumentException("invalid workqueue name '" + name + "'");
        }
        return DEVICES + "/" + name + "/cpumask";
    }
}
