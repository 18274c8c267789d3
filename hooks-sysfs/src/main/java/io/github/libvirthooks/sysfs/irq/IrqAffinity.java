package io.github.libvirthooks.sysfs.irq;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Interrupt affinity under {@code /proc/irq}: which CPUs may handle each interrupt
 * ({@code smp_affinity_list}) and the default for new interrupts ({@code default_smp_affinity}).
 *
 * <p>Whether an interrupt can be moved is only known by trying: the kernel answers EIO for
 * managed interrupts (multi-queue MSI-X vectors spread by the kernel itself), per-CPU ones and
 * those marked no-balancing, and nothing in {@code /proc/irq} says which these are in advance.
 * {@link #setAffinity} therefore returns {@link AffinityResult.NotMovable} for EIO instead of
 * throwing, so a caller moving every interrupt skips those and moves on. Writing an affinity
 * may also make the kernel pick a different delivery CPU within the mask.
 */
public final class IrqAffinity {
    static final String PROC_IRQ = "/proc/irq";
    /** The default affinity of interrupts set up from now on. */
    public static final String DEFAULT_SMP_AFFINITY = "/proc/irq/default_smp_affinity";
    private static final String AFFINITY_LIST = "smp_affinity_list";
    static final String ONLINE = "/sys/devices/system/cpu/online";
    static final String POSSIBLE = "/sys/devices/system/cpu/possible";
    /** The kernel's text for EIO, the errno it uses to refuse an unmovable interrupt. */
    private static final String EIO = "Input/output error";
    private static final int MAX_IRQ = 1 << 20;

    private final HostRoot host;

    /** Interrupts below {@code host}. */
    public IrqAffinity(HostRoot host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    /** The interrupt numbers that have a {@code /proc/irq/N} directory, ascending. */
    public List<Integer> irqs() {
        if (!host.isDirectory(PROC_IRQ)) {
            throw new HostAccessException(PROC_IRQ, "cannot list interrupts: " + PROC_IRQ + " is missing (is procfs mounted on /proc?)");
        }
        List<Integer> irqs = new ArrayList<>();
        for (String name : host.list(PROC_IRQ)) {
            if (!name.isEmpty() && name.length() <= 7 && name.chars().allMatch(c -> c >= '0' && c <= '9')) {
                irqs.add(Integer.parseInt(name));
            }
        }
        irqs.sort(null);
        return List.copyOf(irqs);
    }

    /** The CPUs allowed to handle the interrupt ({@code smp_affinity_list}). */
    public CpuSet affinity(int irq) {
        return readList(require(affinityListPath(irq)));
    }

    /** True when the interrupt has an {@code smp_affinity_list} (it exists, and the kernel offers the file). */
    public boolean hasAffinity(int irq) {
        return host.exists(affinityListPath(irq));
    }

    /** True when the kernel offers {@code default_smp_affinity}. */
    public boolean offersDefaultAffinity() {
        return host.exists(DEFAULT_SMP_AFFINITY);
    }

    /** The host path of an interrupt's {@code smp_affinity_list}: how a journal names the setting. */
    public static String affinityListPath(int irq) {
        return dir(irq) + "/" + AFFINITY_LIST;
    }

    /** The interrupt whose {@code smp_affinity_list} is at {@code hostPath}, if that is one. */
    public static java.util.OptionalInt irqOfAffinityList(String hostPath) {
        String[] parts = hostPath.split("/", -1);
        // "", "proc", "irq", N, smp_affinity_list
        if (parts.length != 5 || !parts[0].isEmpty() || !parts[1].equals("proc") || !parts[2].equals("irq")
                || !parts[3].matches("[0-9]{1,7}") || !parts[4].equals(AFFINITY_LIST) || Integer.parseInt(parts[3]) >= MAX_IRQ) {
            return java.util.OptionalInt.empty();
        }
        return java.util.OptionalInt.of(Integer.parseInt(parts[3]));
    }

    /**
     * Moves the interrupt to {@code cpus} through {@code smp_affinity_list}.
     *
     * @return {@link AffinityResult.Moved} with the undoing change, or
     *         {@link AffinityResult.NotMovable} when the kernel refuses with EIO
     * @throws IllegalArgumentException if {@code cpus} has no online CPU (the kernel would say EINVAL)
     * @throws HostAccessException      if the interrupt does not exist or the write fails otherwise
     */
    public AffinityResult setAffinity(int irq, CpuSet cpus) {
        Objects.requireNonNull(cpus, "cpus");
        String path = require(affinityListPath(irq));
        requireOnline(path, cpus);
        try {
            return new AffinityResult.Moved(irq, host.write(path, cpus.toList()));
        } catch (HostAccessException e) {
            if (isEio(e)) {
                return new AffinityResult.NotMovable(irq, "IRQ " + irq + " cannot be moved: the kernel refused "
                        + path + " (" + EIO + "; its affinity is managed by the kernel or fixed)");
            }
            throw e;
        }
    }

    /** {@code /proc/irq/default_smp_affinity}: the affinity given to interrupts set up from now on. */
    public CpuSet defaultAffinity() {
        return readMask(require(DEFAULT_SMP_AFFINITY));
    }

    /**
     * Sets the default affinity of interrupts set up from now on; existing ones keep theirs.
     *
     * @throws IllegalArgumentException if {@code cpus} has no online CPU
     */
    public Change setDefaultAffinity(CpuSet cpus) {
        Objects.requireNonNull(cpus, "cpus");
        String path = require(DEFAULT_SMP_AFFINITY);
        requireOnline(path, cpus);
        String current = host.read(path);
        int width = host.readIfExists(POSSIBLE).map(p -> parseList(POSSIBLE, p).last() + 1).orElse(maskWidth(current));
        if (cpus.last() >= width) {
            throw new IllegalArgumentException("cannot set " + path + " to CPUs " + cpus + ": CPU " + cpus.last()
                    + " is beyond the host's " + width + " possible CPUs");
        }
        return host.write(path, cpus.toMask(width));
    }

    private void requireOnline(String path, CpuSet cpus) {
        if (cpus.isEmpty()) {
            throw new IllegalArgumentException("cannot set " + path + " to no CPU: an interrupt needs at least one");
        }
        Optional<String> online = host.readIfExists(ONLINE);
        if (online.isPresent()) {
            CpuSet onlineCpus = parseList(ONLINE, online.get());
            if (!cpus.intersects(onlineCpus)) {
                throw new IllegalArgumentException("cannot set " + path + " to CPUs " + cpus
                        + ": none of them is online (online: " + onlineCpus + ")");
            }
        }
    }

    private static boolean isEio(HostAccessException e) {
        return e.errno() == HostAccessException.Errno.EIO;
    }

    static int maskWidth(String mask) {
        String m = mask.strip();
        int comma = m.indexOf(',');
        String first = comma < 0 ? m : m.substring(0, comma);
        int groups = m.isEmpty() ? 1 : m.split(",", -1).length;
        return Math.max(1, Math.min(CpuSet.MAX_CPU + 1, (groups - 1) * 32 + first.length() * 4));
    }

    private String require(String path) {
        if (!host.exists(path)) {
            throw new HostAccessException(path, path + " is missing: no such interrupt, or the kernel does not offer this file");
        }
        return path;
    }

    private CpuSet readList(String path) {
        return parseList(path, host.read(path));
    }

    private CpuSet readMask(String path) {
        String text = host.read(path);
        try {
            return CpuSet.parseMask(text);
        } catch (IllegalArgumentException e) {
            throw new HostAccessException(path, path + ": " + e.getMessage(), e);
        }
    }

    private static CpuSet parseList(String path, String text) {
        try {
            return CpuSet.parseList(text);
        } catch (IllegalArgumentException e) {
            throw new HostAccessException(path, path + ": " + e.getMessage(), e);
        }
    }

    private static String dir(int irq) {
        if (irq < 0 || irq >= MAX_IRQ) {
            throw new IllegalArgumentException("invalid IRQ number " + irq + ": must be 0.." + (MAX_IRQ - 1));
        }
        return PROC_IRQ + "/" + irq;
    }
}
