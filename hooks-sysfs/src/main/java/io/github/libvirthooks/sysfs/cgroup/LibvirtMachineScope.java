package io.github.libvirthooks.sysfs.cgroup;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cgroup libvirt made for one running domain, found by the domain's name (and id when
 * known), with the per-thread cgroups libvirt puts below it: {@code vcpuN},
 * {@code emulator} and {@code iothreadN}.
 *
 * <p>libvirt names the domain's machine {@code qemu-<id>-<name>} (see
 * {@link #machineName(String, int, String)}) and places its cgroup in one of two layouts:
 * <ul>
 * <li>{@link Layout#SYSTEMD}: systemd-machined's scope
 * {@code machine.slice/machine-qemu\x2d1\x2dwin10.scope} (the machine name
 * {@link SystemdEscape#escape systemd-escaped});</li>
 * <li>{@link Layout#CGROUPFS}: without systemd, {@code machine/qemu-1-win10.libvirt-qemu}.</li>
 * </ul>
 * Newer libvirt versions put the thread cgroups in a nested {@code libvirt} cgroup
 * ({@code <scope>/libvirt/vcpu0}, see virCgroupNewNested), older ones right below the
 * domain's cgroup; {@link #threadParent()} handles both. This class only reads: it never
 * calls libvirt, which a hook must not do.
 */
public final class LibvirtMachineScope {
    /** The driver name of QEMU/KVM domains. */
    public static final String QEMU = "qemu";
    /** systemd slice of libvirt's default partition {@code /machine}. */
    public static final String SYSTEMD_PARTITION = "machine.slice";
    /** cgroup of libvirt's default partition {@code /machine} without systemd. */
    public static final String CGROUPFS_PARTITION = "machine";
    /** libvirt truncates machine names to this many characters. */
    public static final int MACHINE_NAME_MAX = 64;

    /** Where the cgroup of a domain comes from. */
    public enum Layout {
        /** A systemd-machined scope: {@code machine.slice/machine-qemu\x2d1\x2dwin10.scope}. */
        SYSTEMD,
        /** A cgroup libvirt made itself: {@code machine/qemu-1-win10.libvirt-qemu}. */
        CGROUPFS
    }

    /**
     * The cgroup of one vCPU thread.
     *
     * @param vcpu   the vCPU id ({@code N} of {@code vcpuN})
     * @param cgroup its cgroup
     */
    public record VcpuCgroup(int vcpu, Cgroup cgroup) {
        /** Rejects a null cgroup. */
        public VcpuCgroup {
            Objects.requireNonNull(cgroup, "cgroup");
        }
    }

    /**
     * The cgroup of one IOThread.
     *
     * @param iothread the IOThread id ({@code N} of {@code iothreadN})
     * @param cgroup   its cgroup
     */
    public record IothreadCgroup(int iothread, Cgroup cgroup) {
        /** Rejects a null cgroup. */
        public IothreadCgroup {
            Objects.requireNonNull(cgroup, "cgroup");
        }
    }

    /** The characters libvirt keeps in machine names (virDomainMachineNameAppendValid). */
    private static final String HOSTNAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";
    private static final Pattern DRIVER = Pattern.compile("[a-z][a-z0-9_]*");
    private static final Pattern VCPU = Pattern.compile("vcpu(0|[1-9]\\d{0,8})");
    private static final Pattern IOTHREAD = Pattern.compile("iothread(0|[1-9]\\d{0,8})");
    /**
     * cgroup v1 controller names: libvirt prefixes a cgroup name with {@code _} when it
     * starts with one of them and a dot (virCgroupPartitionNeedsEscaping reads them from
     * /proc/cgroups; this is the kernel's list).
     */
    private static final Set<String> CONTROLLERS = Set.of(
            "cpuset", "cpu", "cpuacct", "blkio", "io", "memory", "devices", "freezer", "net_cls",
            "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc", "debug");

    private final Cgroup cgroup;
    private final String machineName;
    private final int domainId;
    private final Layout layout;

    private LibvirtMachineScope(Cgroup cgroup, String machineName, int domainId, Layout layout) {
        this.cgroup = cgroup;
        this.machineName = machineName;
        this.domainId = domainId;
        this.layout = layout;
    }

    /**
     * The machine name libvirt gives a domain of the system (privileged) daemon, exactly as
     * virDomainDriverGenerateMachineName does: {@code <driver>-<id>-} followed by the domain
     * name reduced to ASCII letters, digits, {@code -} and {@code .} (other characters
     * dropped, a run of {@code -}/{@code .} kept as its first character, none at the
     * start), cut so that the whole stays within {@value #MACHINE_NAME_MAX} characters, and
     * trailing {@code -} and {@code .} removed. {@code (qemu, 1, "win10")} gives
     * {@code qemu-1-win10}; {@code (qemu, 3, "My VM_01")} gives {@code qemu-3-MyVM01}.
     */
    public static String machineName(String driver, int id, String domainName) {
        checkDriver(driver);
        Objects.requireNonNull(domainName, "domainName");
        StringBuilder buf = new StringBuilder();
        buf.append(driver).append('-').append(id).append('-');
        boolean skip = true;
        for (int i = 0; i < domainName.length(); i++) {
            if (buf.length() >= MACHINE_NAME_MAX) {
                break;
            }
            char c = domainName.charAt(i);
            if (c == '.' || c == '-') {
                if (!skip) {
                    buf.append(c);
                    skip = true;
                }
                continue;
            }
            if (HOSTNAME_CHARS.indexOf(c) < 0) {
                continue;
            }
            buf.append(c);
            skip = false;
        }
        // Trims the whole buffer, so an empty reduced name also loses the dash after the id.
        int end = buf.length();
        while (end > 0 && (buf.charAt(end - 1) == '-' || buf.charAt(end - 1) == '.')) {
            end--;
        }
        return buf.substring(0, end);
    }

    /** The systemd scope unit of a machine: {@code machine-qemu\x2d1\x2dwin10.scope}. */
    public static String systemdScopeName(String machineName) {
        return partitionEscape("machine-" + SystemdEscape.escape(machineName) + ".scope");
    }

    /** The cgroup name libvirt uses without systemd: {@code qemu-1-win10.libvirt-qemu}. */
    public static String cgroupfsName(String machineName, String driver) {
        checkDriver(driver);
        return partitionEscape(machineName + ".libvirt-" + driver);
    }

    /** {@link #find(Cgroup, String, String, OptionalInt)} for QEMU domains. */
    public static Optional<LibvirtMachineScope> find(Cgroup root, String domainName, OptionalInt domainId) {
        return find(root, QEMU, domainName, domainId);
    }

    /**
     * Finds the running domain's cgroup in libvirt's default partition, under
     * {@value #SYSTEMD_PARTITION} or {@value #CGROUPFS_PARTITION} of the unified root.
     * Without the id, every machine cgroup there whose id makes libvirt's machine name
     * match the domain name counts.
     *
     * @param root       the root of the unified hierarchy
     * @param driver     libvirt driver name ({@value #QEMU})
     * @param domainName the domain's name as libvirt knows it
     * @param domainId   the domain's id if known (from the hook's XML), else empty
     * @return the domain's cgroup; empty when the domain has none (not running, or
     *         another partition)
     * @throws CgroupException when several cgroups match, naming them
     */
    public static Optional<LibvirtMachineScope> find(Cgroup root, String driver, String domainName, OptionalInt domainId) {
        Objects.requireNonNull(root, "root");
        List<LibvirtMachineScope> found = new ArrayList<>();
        found.addAll(findAllIn(root.child(SYSTEMD_PARTITION), driver, domainName, domainId));
        found.addAll(findAllIn(root.child(CGROUPFS_PARTITION), driver, domainName, domainId));
        if (found.size() > 1) {
            List<String> paths = found.stream().map(s -> s.cgroup().path()).toList();
            throw new CgroupException(root.hostPath(), "found " + found.size() + " cgroups for domain '" + domainName + "': "
                    + String.join(", ", paths) + (domainId.isPresent() ? "" : "; give the domain id to choose one"));
        }
        return found.stream().findFirst();
    }

    /**
     * All machine cgroups directly in {@code partition} (either layout) that belong to the
     * domain: the cgroup's machine name is what libvirt makes of {@code domainName} with
     * the id in the name, and that id is {@code domainId} when given. Use this for a domain
     * placed in its own {@code <resource><partition>}.
     */
    public static List<LibvirtMachineScope> findAllIn(Cgroup partition, String driver, String domainName, OptionalInt domainId) {
        Objects.requireNonNull(partition, "partition");
        checkDriver(driver);
        Objects.requireNonNull(domainName, "domainName");
        Objects.requireNonNull(domainId, "domainId");
        if (!partition.exists()) {
            return List.of();
        }
        List<LibvirtMachineScope> found = new ArrayList<>();
        for (Cgroup candidate : partition.children()) {
            Optional<LibvirtMachineScope> scope = match(candidate, driver);
            if (scope.isEmpty()) {
                continue;
            }
            LibvirtMachineScope s = scope.get();
            if (domainId.isPresent() && s.domainId != domainId.getAsInt()) {
                continue;
            }
            if (s.machineName.equals(machineName(driver, s.domainId, domainName))) {
                found.add(s);
            }
        }
        return found;
    }

    /** The domain's cgroup (the scope, or the {@code .libvirt-qemu} cgroup). */
    public Cgroup cgroup() {
        return cgroup;
    }

    /** The machine name read from the cgroup's name ({@code qemu-1-win10}). */
    public String machineName() {
        return machineName;
    }

    /** The domain id read from the machine name. */
    public int domainId() {
        return domainId;
    }

    /** Which layout the cgroup was found in. */
    public Layout layout() {
        return layout;
    }

    /**
     * Where libvirt puts the thread cgroups: the nested {@code libvirt} cgroup when it
     * exists (newer libvirt), else the domain's cgroup itself.
     */
    public Cgroup threadParent() {
        Cgroup nested = cgroup.child("libvirt");
        return nested.exists() ? nested : cgroup;
    }

    /** The vCPU cgroups that exist ({@code vcpu0}, {@code vcpu1}, ...), by vCPU id. */
    public List<VcpuCgroup> vcpus() {
        List<VcpuCgroup> vcpus = new ArrayList<>();
        for (Cgroup child : threadChildren()) {
            Matcher m = VCPU.matcher(child.name());
            if (m.matches()) {
                vcpus.add(new VcpuCgroup(Integer.parseInt(m.group(1)), child));
            }
        }
        vcpus.sort(Comparator.comparingInt(VcpuCgroup::vcpu));
        return vcpus;
    }

    /** The cgroup of vCPU {@code id}, if it exists. */
    public Optional<Cgroup> vcpu(int id) {
        if (id < 0) {
            throw new IllegalArgumentException("vcpu id " + id + " is negative");
        }
        Cgroup vcpu = threadParent().child("vcpu" + id);
        return vcpu.exists() ? Optional.of(vcpu) : Optional.empty();
    }

    /** The emulator cgroup (QEMU's main and helper threads), if it exists. */
    public Optional<Cgroup> emulator() {
        Cgroup emulator = threadParent().child("emulator");
        return emulator.exists() ? Optional.of(emulator) : Optional.empty();
    }

    /** The IOThread cgroups that exist ({@code iothread1}, ...), by IOThread id. */
    public List<IothreadCgroup> iothreads() {
        List<IothreadCgroup> iothreads = new ArrayList<>();
        for (Cgroup child : threadChildren()) {
            Matcher m = IOTHREAD.matcher(child.name());
            if (m.matches()) {
                iothreads.add(new IothreadCgroup(Integer.parseInt(m.group(1)), child));
            }
        }
        iothreads.sort(Comparator.comparingInt(IothreadCgroup::iothread));
        return iothreads;
    }

    /** The layout, the machine name and the cgroup path. */
    @Override
    public String toString() {
        return machineName + " (" + layout + ": " + cgroup.hostPath() + ")";
    }

    private List<Cgroup> threadChildren() {
        Cgroup parent = threadParent();
        return parent.exists() ? parent.children() : List.of();
    }

    private static Optional<LibvirtMachineScope> match(Cgroup candidate, String driver) {
        String name = candidate.name();
        String plain = name.startsWith("_") ? name.substring(1) : name;
        String machine;
        Layout layout;
        if (plain.startsWith("machine-") && plain.endsWith(".scope") && plain.length() > "machine-.scope".length()) {
            try {
                machine = SystemdEscape.unescape(plain.substring("machine-".length(), plain.length() - ".scope".length()));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
            layout = Layout.SYSTEMD;
        } else if (plain.endsWith(".libvirt-" + driver)) {
            machine = plain.substring(0, plain.length() - (".libvirt-" + driver).length());
            layout = Layout.CGROUPFS;
        } else {
            return Optional.empty();
        }
        OptionalInt id = idOf(machine, driver);
        if (id.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new LibvirtMachineScope(candidate, machine, id.getAsInt(), layout));
    }

    /** The id in {@code <driver>-<id>} or {@code <driver>-<id>-<name>}. */
    private static OptionalInt idOf(String machine, String driver) {
        String prefix = driver + "-";
        if (!machine.startsWith(prefix)) {
            return OptionalInt.empty();
        }
        int end = prefix.length();
        while (end < machine.length() && machine.charAt(end) >= '0' && machine.charAt(end) <= '9') {
            end++;
        }
        String digits = machine.substring(prefix.length(), end);
        if (digits.isEmpty() || digits.length() > 9 || end < machine.length() && machine.charAt(end) != '-') {
            return OptionalInt.empty();
        }
        return OptionalInt.of(Integer.parseInt(digits));
    }

    /** libvirt's virCgroupPartitionEscape: names that could clash with kernel files get a {@code _} prefix. */
    private static String partitionEscape(String name) {
        if (name.startsWith("cgroup.") || name.startsWith("_") || name.startsWith(".")) {
            return "_" + name;
        }
        int dot = name.indexOf('.');
        if (dot > 0 && CONTROLLERS.contains(name.substring(0, dot))) {
            return "_" + name;
        }
        return name;
    }

    private static void checkDriver(String driver) {
        Objects.requireNonNull(driver, "driver");
        if (!DRIVER.matcher(driver).matches()) {
            throw new IllegalArgumentException("'" + driver + "' is not a libvirt driver name (like qemu, lxc)");
        }
    }
}
