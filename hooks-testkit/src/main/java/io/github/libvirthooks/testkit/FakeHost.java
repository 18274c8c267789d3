package io.github.libvirthooks.testkit;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.HostWriteListener;
import io.github.libvirthooks.sysfs.cgroup.Cgroup;
import io.github.libvirthooks.sysfs.cgroup.LibvirtMachineScope;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A fake host in a test directory, built fluently: the directory stands for the host's
 * {@code /}, and {@link #host()} hands out the {@link HostRoot} the code under test reads and
 * writes through. Each step lays out one kernel interface as the kernel shows it: CPUs and
 * their SMT siblings, NUMA nodes, {@code /proc/meminfo}, a cgroup v2 hierarchy with its
 * mountinfo line and cpuset files, hugepage pools per size and node (answered by
 * {@link SimulatedHugePages}), workqueue masks, interrupts, scheduler sysctls, systemd, and
 * QEMU processes with their vCPU threads and libvirt's machine scope.
 *
 * <pre>{@code
 * FakeHost fake = FakeHost.at(tempDir).smtCpus(8).cgroup2("system.slice", "machine.slice")
 *         .hugePages(1, HugePageSize.TWO_MIB);
 * new HugePages(fake.host()).reserve(...);
 * assertThat(fake.hugePages().nr(HugePageSize.TWO_MIB, 0)).isEqualTo(512);
 * }</pre>
 *
 * <p>By default a write lands in the file as written. After {@link #kernelWrites()} the host
 * answers writes the way the kernel would (see there). {@link #vfioDesktop} is a whole typical
 * host in one call.
 */
public final class FakeHost {
    /** Where the cgroup v2 hierarchy is mounted. */
    public static final String CGROUP = "/sys/fs/cgroup";
    /** {@code /proc/self/mountinfo} of a pure cgroup v2 host: the root file system and the unified hierarchy. */
    public static final String CGROUP2_MOUNTINFO = "24 1 0:22 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
            + "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate";
    /** Every controller a recent kernel offers, in the order the root's {@code cgroup.controllers} lists them. */
    public static final String ALL_CONTROLLERS = "cpuset cpu io memory hugetlb pids rdma misc";
    /** The RT throttling runtime. */
    public static final String RT_RUNTIME = "/proc/sys/kernel/sched_rt_runtime_us";
    /** Trigger file: the kernel acts on a write and keeps no value worth restoring. */
    public static final String DROP_CACHES = "/proc/sys/vm/drop_caches";
    /** Trigger file: the kernel acts on a write and keeps no value worth restoring. */
    public static final String COMPACT_MEMORY = "/proc/sys/vm/compact_memory";

    private static final Pattern NR_HUGEPAGES = Pattern.compile(
            "(?:/sys/kernel/mm/hugepages|/sys/devices/system/node/node\\d+/hugepages)/(hugepages-\\d+kB)/nr_hugepages");

    private final Path root;
    private int cpus = 8;
    private SimulatedHugePages hugePages;
    private boolean kernelWrites;
    private final Map<String, String> subtreeBefore = new ConcurrentHashMap<>();

    private FakeHost(Path root) {
        this.root = root;
        dir("/");
    }

    /** An empty host tree at {@code root} (created if missing). */
    public static FakeHost at(Path root) {
        return new FakeHost(root);
    }

    /**
     * A tree laid out by another {@code FakeHost}, in another process, answering writes like
     * the kernel. A {@link SimulatedHugePages} keeps its counts in the memory of the process
     * that made it, so here hugepage writes are answered from the files alone: every page asked
     * for is granted on node 0 and none is in use.
     */
    public static FakeHost attach(Path root) {
        return new FakeHost(root).kernelWrites();
    }

    /**
     * A typical VFIO desktop host, whole: 8 CPUs with SMT siblings (n and n+4), one NUMA
     * node, {@code /proc/meminfo} (16 GB, 2 MiB hugepages by default), a pure cgroup v2
     * hierarchy with systemd's {@code init.scope}, {@code system.slice}, {@code user.slice} and
     * {@code machine.slice}, RT throttling, {@code timer_migration}, workqueue masks, two
     * interrupts (24 on every CPU, 25 on CPU 2), libvirt's {@code /run/libvirt/qemu}, and the
     * kernel's 2 MiB hugepage accounting (none reserved); writes answered like the kernel's.
     */
    public static FakeHost vfioDesktop(Path root) {
        return new FakeHost(root)
                .hugePages(1, HugePageSize.TWO_MIB)
                .smtCpus(8)
                .numaNode(0, "0-7")
                .meminfo(16_384_000, 12_000_000, HugePageSize.TWO_MIB)
                .cgroup2("init.scope", "system.slice", "user.slice", "machine.slice")
                .rtThrottling(950_000, 1_000_000)
                .timerMigration()
                .workqueues()
                .irq(24, "0-7")
                .irq(25, "2")
                .dir("/run/libvirt/qemu")
                .kernelWrites();
    }

    /** The directory that stands for the host's {@code /}. */
    public Path root() {
        return root;
    }

    /**
     * The host as the code under test sees it: writes to the hugepage pools reach
     * {@link #hugePages()} when there is one, and after {@link #kernelWrites()} every write is
     * answered as the kernel would.
     */
    public HostRoot host() {
        if (kernelWrites) {
            return HostRoot.at(root).withListener(new KernelWrites());
        }
        return hugePages != null ? hugePages.host() : HostRoot.at(root);
    }

    /** The root of the cgroup v2 hierarchy at {@value #CGROUP}, read through {@link #host()}. */
    public Cgroup rootCgroup() {
        return Cgroup.root(host(), CGROUP);
    }

    // ---- CPUs, nodes, memory ----

    /**
     * {@code cpus} online CPUs, two hardware threads per core numbered like Intel's: CPU n and
     * CPU n + cpus/2 are siblings, all in package 0.
     */
    public FakeHost smtCpus(int cpus) {
        this.cpus = cpus;
        String all = "0-" + (cpus - 1);
        file("/sys/devices/system/cpu/online", all);
        file("/sys/devices/system/cpu/possible", all);
        file("/sys/devices/system/cpu/present", all);
        int half = cpus / 2;
        for (int cpu = 0; cpu < cpus; cpu++) {
            int core = cpu % half;
            String dir = "/sys/devices/system/cpu/cpu" + cpu + "/topology";
            file(dir + "/core_id", Integer.toString(core));
            file(dir + "/physical_package_id", "0");
            file(dir + "/thread_siblings_list", core + "," + (core + half));
        }
        return this;
    }

    /** NUMA node {@code node} with its CPUs, as {@code /sys/devices/system/node/nodeN/cpulist} lists them. */
    public FakeHost numaNode(int node, String cpulist) {
        return file("/sys/devices/system/node/node" + node + "/cpulist", cpulist);
    }

    /**
     * {@code /proc/meminfo} in the kernel's layout: total and free memory (free and available
     * alike), no hugepages in the pool, and the default hugepage size.
     */
    public FakeHost meminfo(long memTotalKiB, long memFreeKiB, HugePageSize defaultHugePageSize) {
        String text = String.format("%-16s%8d kB%n%-16s%8d kB%n%-16s%8d kB%n", "MemTotal:", memTotalKiB, "MemFree:", memFreeKiB,
                "MemAvailable:", memFreeKiB)
                + String.format("%-16s%8d%n%-16s%8d%n%-16s%8d%n%-16s%8d%n", "HugePages_Total:", 0, "HugePages_Free:", 0,
                "HugePages_Rsvd:", 0, "HugePages_Surp:", 0)
                + String.format("%-16s%8d kB", "Hugepagesize:", defaultHugePageSize.bytes() / 1024);
        return file("/proc/meminfo", text.replace(System.lineSeparator(), "\n"));
    }

    /**
     * The kernel's hugepage pools, per size and node, played by a {@link SimulatedHugePages}
     * (all empty; shape them through {@link #hugePages()}), with {@code drop_caches},
     * {@code compact_memory} and {@code node/online}.
     */
    public FakeHost hugePages(int nodes, HugePageSize... sizes) {
        this.hugePages = new SimulatedHugePages(root, nodes, sizes);
        return this;
    }

    /** The simulated hugepage accounting laid out by {@link #hugePages(int, HugePageSize...)}. */
    public SimulatedHugePages hugePages() {
        if (hugePages == null) {
            throw new IllegalStateException("this fake host has no simulated hugepages: call hugePages(nodes, sizes...) first");
        }
        return hugePages;
    }

    // ---- cgroup v2 ----

    /**
     * A pure cgroup v2 host: the mountinfo line, the root cgroup with every controller
     * available and only {@code memory pids} enabled for its children (cpuset not yet), and
     * the given top-level cgroups ({@link #topLevel}).
     */
    public FakeHost cgroup2(String... topLevel) {
        file("/proc/self/mountinfo", CGROUP2_MOUNTINFO);
        file(CGROUP + "/cgroup.controllers", ALL_CONTROLLERS);
        file(CGROUP + "/cgroup.subtree_control", "memory pids");
        file(CGROUP + "/cgroup.procs", "");
        file(CGROUP + "/cgroup.threads", "");
        file(CGROUP + "/cpuset.cpus.effective", "0-" + (cpus - 1));
        file(CGROUP + "/cpuset.mems.effective", "0");
        for (String name : topLevel) {
            topLevel(name);
        }
        return this;
    }

    /**
     * A top-level cgroup as a systemd host shows it once cpuset is enabled in the root: its
     * controllers, nothing enabled below it, no CPUs of its own and a member partition. Empty
     * lists print an empty line, as the kernel does.
     */
    public FakeHost topLevel(String name) {
        String dir = CGROUP + "/" + name;
        cgroup(name, "cpuset cpu memory pids");
        file(dir + "/cgroup.subtree_control", "\n");
        file(dir + "/cpuset.cpus", "\n");
        return file(dir + "/cpuset.cpus.partition", "member");
    }

    /** A cgroup directory below {@value #CGROUP} with the core files, these controllers available and none enabled. */
    public FakeHost cgroup(String relativePath, String controllers) {
        String dir = CGROUP + "/" + relativePath;
        file(dir + "/cgroup.controllers", controllers);
        file(dir + "/cgroup.subtree_control", "");
        file(dir + "/cgroup.procs", "");
        return file(dir + "/cgroup.threads", "");
    }

    /** The cpuset files of a non-root cgroup with the given values (effective CPUs: {@code cpus}, or all when empty). */
    public FakeHost cpusetFiles(String relativePath, String cpus, String partition) {
        String dir = CGROUP + "/" + relativePath;
        file(dir + "/cpuset.cpus", cpus);
        file(dir + "/cpuset.cpus.effective", cpus.isEmpty() ? "0-" + (this.cpus - 1) : cpus);
        file(dir + "/cpuset.mems", "");
        file(dir + "/cpuset.mems.effective", "0");
        return file(dir + "/cpuset.cpus.partition", partition);
    }

    /** The cpu controller's files of a non-root cgroup with the kernel's defaults. */
    public FakeHost cpuFiles(String relativePath) {
        String dir = CGROUP + "/" + relativePath;
        file(dir + "/cpu.weight", "100");
        file(dir + "/cpu.weight.nice", "0");
        file(dir + "/cpu.idle", "0");
        return file(dir + "/cpu.max", "max 100000");
    }

    /** {@code cpuset.cpus} of a top-level cgroup, as it reads now. */
    public String cpus(String cgroup) {
        return read(CGROUP + "/" + cgroup + "/cpuset.cpus");
    }

    // ---- kernel knobs ----

    /** systemd runs as PID 1 ({@code /run/systemd/system} exists). */
    public FakeHost systemd() {
        return dir("/run/systemd/system");
    }

    /** The unbound and the writeback workqueue cpumasks, on every CPU. */
    public FakeHost workqueues() {
        file("/sys/devices/virtual/workqueue/cpumask", "ff");
        return file("/sys/bus/workqueue/devices/writeback/cpumask", "ff");
    }

    /** Interrupt {@code irq} on the CPUs in {@code affinityList}, both as a list and as a mask, and the default affinity. */
    public FakeHost irq(int irq, String affinityList) {
        file("/proc/irq/default_smp_affinity", "ff");
        file("/proc/irq/" + irq + "/smp_affinity_list", affinityList);
        return file("/proc/irq/" + irq + "/smp_affinity", CpuSet.parseList(affinityList).toMask(cpus));
    }

    /** {@code kernel.timer_migration} on. */
    public FakeHost timerMigration() {
        return file("/proc/sys/kernel/timer_migration", "1");
    }

    /** RT throttling: {@code sched_rt_runtime_us} out of every {@code sched_rt_period_us}. */
    public FakeHost rtThrottling(long runtimeMicros, long periodMicros) {
        file(RT_RUNTIME, Long.toString(runtimeMicros));
        return file("/proc/sys/kernel/sched_rt_period_us", Long.toString(periodMicros));
    }

    /** The kernel command line. */
    public FakeHost cmdline(String text) {
        return file("/proc/cmdline", text);
    }

    // ---- QEMU processes ----

    /**
     * QEMU for {@code vm} starts: process {@code pid} with vCPU threads pid+1.., an IOThread
     * pid+50, its pid file in {@code /run/libvirt/qemu}, and libvirt's systemd scope for
     * domain {@code id} with one {@code libvirt/vcpuN} cgroup per vCPU (cpu.weight 100).
     */
    public FakeHost spawnQemu(String vm, int id, int pid, int vcpus) {
        file("/run/libvirt/qemu/" + vm + ".pid", Integer.toString(pid));
        thread(pid, pid, "qemu-system-x86");
        thread(pid, pid + 50, "IO iothread1");
        String scope = scopePath(vm, id);
        file(scope + "/cgroup.procs", Integer.toString(pid));
        for (int v = 0; v < vcpus; v++) {
            thread(pid, pid + 1 + v, "CPU " + v + "/KVM");
            file(scope + "/libvirt/vcpu" + v + "/cgroup.threads", Integer.toString(pid + 1 + v));
            file(scope + "/libvirt/vcpu" + v + "/cpu.weight", "100");
        }
        file(scope + "/libvirt/iothread1/cgroup.threads", Integer.toString(pid + 50));
        return file(scope + "/libvirt/emulator/cgroup.threads", Integer.toString(pid));
    }

    /** QEMU for {@code vm} ends: its process, threads, pid file and scope disappear. */
    public FakeHost exitQemu(String vm, int id, int pid, int vcpus) {
        deleteTree("/run/libvirt/qemu/" + vm + ".pid");
        deleteTree("/proc/" + pid);
        for (int v = 0; v < vcpus; v++) {
            deleteTree("/proc/" + (pid + 1 + v));
        }
        deleteTree("/proc/" + (pid + 50));
        deleteTree(scopePath(vm, id));
        return this;
    }

    /** The host path of libvirt's systemd scope for QEMU domain {@code id} named {@code vm}. */
    public static String scopePath(String vm, int id) {
        return CGROUP + "/machine.slice/" + LibvirtMachineScope.systemdScopeName(LibvirtMachineScope.machineName("qemu", id, vm));
    }

    /**
     * A {@code /proc/TID/stat} line: pid, comm, state S, then every field its own number
     * except nice (field 19), RT priority (40) and policy (41).
     */
    public static String threadStat(int tid, String comm, int policy, int rtPriority, int nice) {
        StringBuilder s = new StringBuilder(tid + " (" + comm + ") S");
        for (int field = 4; field <= 52; field++) {
            int value = switch (field) {
                case 19 -> nice;
                case 40 -> rtPriority;
                case 41 -> policy;
                default -> field;
            };
            s.append(' ').append(value);
        }
        return s.toString();
    }

    /** A thread, listed under its process and readable as {@code /proc/TID/task/TID/stat}. */
    private void thread(int pid, int tid, String comm) {
        String stat = threadStat(tid, comm, 0, 0, 0);
        file("/proc/" + pid + "/task/" + tid + "/comm", comm);
        file("/proc/" + pid + "/task/" + tid + "/stat", stat);
        file("/proc/" + tid + "/task/" + tid + "/comm", comm);
        file("/proc/" + tid + "/task/" + tid + "/stat", stat);
    }

    // ---- cpufreq ----

    /** The cpufreq drivers whose sysfs layouts the tests use, each as a desktop shows it after boot. */
    public enum CpufreqDriver {
        /** ACPI P-states: the generic governors, no energy-performance preference. */
        ACPI_CPUFREQ("acpi-cpufreq", "conservative ondemand userspace powersave performance schedutil", "schedutil", false),
        /** amd-pstate in active mode (amd_pstate=active, the default since 6.5 on Zen 2 and later): its own EPP. */
        AMD_PSTATE_ACTIVE("amd-pstate-epp", "performance powersave", "powersave", true),
        /** amd-pstate in passive mode: the generic governors, no EPP. */
        AMD_PSTATE_PASSIVE("amd-pstate", "conservative ondemand userspace powersave performance schedutil", "schedutil", false),
        /** intel_pstate in active mode with HWP: performance and powersave, with EPP. */
        INTEL_PSTATE("intel_pstate", "performance powersave", "powersave", true);

        final String name;
        final String governors;
        final String governor;
        final boolean epp;

        CpufreqDriver(String name, String governors, String governor, boolean epp) {
            this.name = name;
            this.governors = governors;
            this.governor = governor;
            this.epp = epp;
        }
    }

    /**
     * cpufreq for every CPU, as Linux 4.4 and later lay it out: one {@code cpufreq/policyM}
     * directory per {@code cpusPerPolicy} CPUs (M the first of them), each {@code cpuN/cpufreq}
     * a link to its policy; the driver's governors, governor, and EPP files where it has them.
     * After {@link #kernelWrites()} a governor the policy does not offer is refused with
     * {@code Invalid argument}, and an EPP write under the performance governor with
     * {@code Device or resource busy} as amd-pstate does (intel_pstate: unless the value is performance).
     */
    public FakeHost cpufreq(CpufreqDriver driver, int cpusPerPolicy) {
        for (int first = 0; first < cpus; first += cpusPerPolicy) {
            String policy = "/sys/devices/system/cpu/cpufreq/policy" + first;
            StringBuilder related = new StringBuilder();
            for (int cpu = first; cpu < Math.min(cpus, first + cpusPerPolicy); cpu++) {
                related.append(related.length() == 0 ? "" : " ").append(cpu);
                link("/sys/devices/system/cpu/cpu" + cpu + "/cpufreq", "../cpufreq/policy" + first);
            }
            file(policy + "/related_cpus", related.toString()).file(policy + "/affected_cpus", related.toString())
                    .file(policy + "/scaling_driver", driver.name).file(policy + "/scaling_available_governors", driver.governors)
                    .file(policy + "/scaling_governor", driver.governor).file(policy + "/cpuinfo_min_freq", "800000")
                    .file(policy + "/cpuinfo_max_freq", "4200000").file(policy + "/scaling_min_freq", "800000")
                    .file(policy + "/scaling_max_freq", "4200000");
            if (driver.epp) {
                file(policy + "/energy_performance_preference", "balance_performance")
                        .file(policy + "/energy_performance_available_preferences",
                                "default performance balance_performance balance_power power");
            }
        }
        return this;
    }

    /** What the cpufreq core and the pstate drivers refuse. */
    private void cpufreqWrite(String path, String value) throws IOException {
        String dir = path.substring(0, path.lastIndexOf('/'));
        if (path.endsWith("/scaling_governor")) {
            String offered = Files.isRegularFile(local(dir + "/scaling_available_governors"))
                    ? " " + read(dir + "/scaling_available_governors").strip() + " " : " " + value + " ";
            if (!offered.contains(" " + value.strip() + " ")) {
                throw new IOException("Invalid argument");
            }
        } else if (path.endsWith("/energy_performance_preference")) {
            String driver = read(dir + "/scaling_driver").strip();
            boolean performance = read(dir + "/scaling_governor").strip().equals("performance");
            if (performance && (driver.equals("amd-pstate-epp") || !value.strip().equals("performance"))) {
                throw new IOException("Device or resource busy");
            }
        }
    }

    // ---- USB ----

    private final Map<String, String> usbNativeDriver = new ConcurrentHashMap<>();

    /**
     * A USB device at {@code port} ({@code 1-2}) as sysfs lays it out: the bus's links to the
     * device and to its interfaces {@code PORT:1.0}, {@code PORT:1.1}, ..., one per entry of
     * {@code interfaceDrivers} (an empty one has no driver), with {@code idVendor},
     * {@code idProduct}, {@code busnum}, {@code devnum} and {@code authorized}; each driver with
     * its {@code bind} and {@code unbind}. After {@link #kernelWrites()}, {@code bind} binds an
     * interface, {@code authorized} 0 unbinds every interface and 1 binds each to its own driver again.
     */
    public FakeHost usbDevice(String port, String vendor, String product, int bus, int device, String... interfaceDrivers) {
        String real = "/sys/devices/usb/" + port;
        file(real + "/idVendor", vendor).file(real + "/idProduct", product).file(real + "/busnum", Integer.toString(bus))
                .file(real + "/devnum", Integer.toString(device)).file(real + "/authorized", "1");
        link("/sys/bus/usb/devices/" + port, "../../../devices/usb/" + port);
        for (int i = 0; i < interfaceDrivers.length; i++) {
            String iface = port + ":1." + i;
            dir(real + "/" + iface);
            link("/sys/bus/usb/devices/" + iface, "../../../devices/usb/" + port + "/" + iface);
            if (!interfaceDrivers[i].isEmpty()) {
                usbDriver(interfaceDrivers[i]);
                usbNativeDriver.put(iface, interfaceDrivers[i]);
                usbBindLinks(iface, interfaceDrivers[i]);
            }
        }
        return this;
    }

    /** A registered USB interface driver with its {@code bind} and {@code unbind} files. */
    public FakeHost usbDriver(String driver) {
        return file("/sys/bus/usb/drivers/" + driver + "/bind", "").file("/sys/bus/usb/drivers/" + driver + "/unbind", "");
    }

    /** The device's interfaces lose their drivers, as when QEMU let go of them without the kernel re-attaching any. */
    public FakeHost usbDetached(String port) {
        for (String iface : usbNativeDriver.keySet()) {
            if (iface.startsWith(port + ":")) {
                usbUnbindLinks(iface);
            }
        }
        return this;
    }

    /** A PCI function loses its driver, as a {@code drivers_probe} that found none leaves it. */
    public FakeHost pciUnbound(String address) {
        String driverLink = PCI_BRIDGE_PATH + "/" + address + "/driver";
        try {
            if (Files.isSymbolicLink(local(driverLink))) {
                String driver = Files.readSymbolicLink(local(driverLink)).getFileName().toString();
                unbindLinks(address, driver);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    private void usbBindLinks(String iface, String driver) {
        String port = iface.substring(0, iface.indexOf(':'));
        link("/sys/devices/usb/" + port + "/" + iface + "/driver", "../../../../bus/usb/drivers/" + driver);
        link("/sys/bus/usb/drivers/" + driver + "/" + iface, "../../../../devices/usb/" + port + "/" + iface);
    }

    private void usbUnbindLinks(String iface) {
        String port = iface.substring(0, iface.indexOf(':'));
        Path driverLink = local("/sys/devices/usb/" + port + "/" + iface + "/driver");
        try {
            if (Files.isSymbolicLink(driverLink)) {
                String driver = Files.readSymbolicLink(driverLink).getFileName().toString();
                Files.delete(driverLink);
                Files.deleteIfExists(local("/sys/bus/usb/drivers/" + driver + "/" + iface));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code authorized}: 0 drops every interface's driver, 1 probes each interface for its own driver. */
    private void usbAuthorized(String path, String value) {
        String port = path.substring("/sys/bus/usb/devices/".length(), path.length() - "/authorized".length());
        for (Map.Entry<String, String> e : usbNativeDriver.entrySet()) {
            if (!e.getKey().startsWith(port + ":")) {
                continue;
            }
            usbUnbindLinks(e.getKey());
            if (value.strip().equals("1") && Files.isDirectory(local("/sys/bus/usb/drivers/" + e.getValue()))) {
                usbBindLinks(e.getKey(), e.getValue());
            }
        }
    }

    // ---- PCI, consoles, framebuffers, modules, processes ----

    /** Where fake PCI functions really live: behind the bridge {@code 0000:00:01.0}. */
    public static final String PCI_BRIDGE_PATH = "/sys/devices/pci0000:00/0000:00:01.0";
    private final Map<String, String> nativeDriver = new ConcurrentHashMap<>();

    /**
     * A PCI function behind a bridge, laid out as sysfs shows it: the device directory with
     * {@code class}, {@code vendor}, {@code driver_override} ({@code (null)}), {@code reset_method}
     * ({@code bus}), the {@code driver} and {@code iommu_group} links, the group's {@code devices}
     * link, the driver's {@code bind}/{@code unbind} and the bus's {@code drivers_probe}. An empty
     * {@code driver} leaves it unbound; {@code drivers_probe} binds it to {@code driver} again.
     */
    public FakeHost pciFunction(String address, String driver, int group, String pciClass, String vendor) {
        String real = PCI_BRIDGE_PATH + "/" + address;
        file(real + "/class", pciClass).file(real + "/vendor", vendor).file(real + "/driver_override", "(null)")
                .file(real + "/reset_method", "bus").dir(PciDeviceFiles.DEVICES).dir("/sys/kernel/iommu_groups/" + group + "/devices")
                .file("/sys/bus/pci/drivers_probe", "");
        link(PciDeviceFiles.DEVICES + "/" + address, "../../../devices/pci0000:00/0000:00:01.0/" + address);
        link(real + "/iommu_group", "../../../../kernel/iommu_groups/" + group);
        link("/sys/kernel/iommu_groups/" + group + "/devices/" + address, "../../../../devices/pci0000:00/0000:00:01.0/" + address);
        if (!driver.isEmpty()) {
            pciDriver(driver);
            nativeDriver.put(address, driver);
            bindLinks(address, driver);
        }
        return this;
    }

    /** A registered PCI driver with its {@code bind} and {@code unbind} files. */
    public FakeHost pciDriver(String driver) {
        String dir = PciDeviceFiles.DRIVERS + "/" + driver;
        return file(dir + "/bind", "").file(dir + "/unbind", "");
    }

    /** The driver's module, as the {@code module} link of its directory. */
    public FakeHost pciDriverModule(String driver, String module) {
        return link(PciDeviceFiles.DRIVERS + "/" + driver + "/module", "../../../../module/" + module);
    }

    /** Marks a function as the boot display and gives it DRM nodes ({@code card0}, {@code renderD128}). */
    public FakeHost bootVga(String address, String... drmNodes) {
        String real = PCI_BRIDGE_PATH + "/" + address;
        file(real + "/boot_vga", "1");
        for (String node : drmNodes) {
            dir(real + "/drm/" + node);
        }
        return this;
    }

    /** The dummy console (unbound) and fbcon (bound), as on a desktop booted with a framebuffer console. */
    public FakeHost vtconsoles() {
        return file("/sys/class/vtconsole/vtcon0/bind", "0").file("/sys/class/vtconsole/vtcon0/name", "(S) dummy device")
                .file("/sys/class/vtconsole/vtcon1/bind", "1").file("/sys/class/vtconsole/vtcon1/name", "(M) frame buffer device");
    }

    /** A firmware framebuffer bound to its platform driver ({@code efi-framebuffer}, {@code efi-framebuffer.0}). */
    public FakeHost platformFramebuffer(String driver, String device) {
        String dir = "/sys/bus/platform/drivers/" + driver;
        file(dir + "/bind", "").file(dir + "/unbind", "").dir("/sys/devices/platform/" + device);
        return link(dir + "/" + device, "../../../../devices/platform/" + device);
    }

    /** A process with {@code comm}, a real uid, a cgroup (unified line) and file descriptors open on {@code nodes}. */
    public FakeHost process(int pid, String comm, int uid, String cgroup, String... nodes) {
        String dir = "/proc/" + pid;
        file(dir + "/comm", comm).file(dir + "/status", "Name:\t" + comm + "\nUid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid)
                .file(dir + "/cgroup", "0::" + cgroup).dir(dir + "/fd");
        for (int fd = 0; fd < nodes.length; fd++) {
            link(dir + "/fd/" + (fd + 3), nodes[fd]);
        }
        return this;
    }

    /** A symbolic link at {@code hostPath} to {@code target} (relative, or an absolute host path as /proc shows them). */
    public FakeHost link(String hostPath, String target) {
        try {
            Path link = local(hostPath);
            Files.createDirectories(link.getParent());
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, Path.of(target));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void bindLinks(String address, String driver) {
        link(PCI_BRIDGE_PATH + "/" + address + "/driver", "../../../../bus/pci/drivers/" + driver);
        link(PciDeviceFiles.DRIVERS + "/" + driver + "/" + address, "../../../../devices/pci0000:00/0000:00:01.0/" + address);
    }

    private void unbindLinks(String address, String driver) {
        try {
            Files.deleteIfExists(local(PCI_BRIDGE_PATH + "/" + address + "/driver"));
            Files.deleteIfExists(local(PciDeviceFiles.DRIVERS + "/" + driver + "/" + address));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The kernel's driver core: unbind, bind and drivers_probe move the links; a platform framebuffer likewise. */
    private void driverCore(String path, String value) throws IOException {
        String address = value.strip();
        Matcher pci = PCI_DRIVER_FILE.matcher(path);
        Matcher platform = PLATFORM_DRIVER_FILE.matcher(path);
        if (pci.matches()) {
            String driver = pci.group(1);
            boolean bound = Files.isSymbolicLink(local(PciDeviceFiles.DRIVERS + "/" + driver + "/" + address));
            if (pci.group(2).equals("unbind")) {
                if (!bound) {
                    throw new IOException("No such device");
                }
                unbindLinks(address, driver);
            } else {
                if (bound || Files.isSymbolicLink(local(PCI_BRIDGE_PATH + "/" + address + "/driver"))) {
                    throw new IOException("Device or resource busy");
                }
                bindLinks(address, driver);
            }
        } else if (path.equals("/sys/bus/pci/drivers_probe")) {
            if (Files.isSymbolicLink(local(PCI_BRIDGE_PATH + "/" + address + "/driver"))) {
                return;
            }
            String override = read(PCI_BRIDGE_PATH + "/" + address + "/driver_override").strip();
            String driver = override.equals("(null)") || override.isEmpty() ? nativeDriver.get(address) : override;
            if (driver != null && Files.isDirectory(local(PciDeviceFiles.DRIVERS + "/" + driver))) {
                bindLinks(address, driver);
            }
        } else if (USB_DRIVER_FILE.matcher(path).matches()) {
            Matcher usb = USB_DRIVER_FILE.matcher(path);
            usb.matches();
            String port = address.contains(":") ? address.substring(0, address.indexOf(':')) : address;
            boolean bound = Files.isSymbolicLink(local("/sys/devices/usb/" + port + "/" + address + "/driver"));
            if (usb.group(2).equals("unbind")) {
                if (!bound) {
                    throw new IOException("No such device");
                }
                usbUnbindLinks(address);
            } else {
                if (bound) {
                    throw new IOException("Device or resource busy");
                }
                usbBindLinks(address, usb.group(1));
            }
        } else if (platform.matches()) {
            String dir = "/sys/bus/platform/drivers/" + platform.group(1) + "/" + address;
            if (platform.group(2).equals("unbind")) {
                if (!Files.isSymbolicLink(local(dir))) {
                    throw new IOException("No such device");
                }
                Files.delete(local(dir));
            } else {
                link(dir, "../../../../devices/platform/" + address);
            }
        }
    }

    private static final Pattern PCI_DRIVER_FILE = Pattern.compile("/sys/bus/pci/drivers/([^/]+)/(bind|unbind)");
    private static final Pattern USB_DRIVER_FILE = Pattern.compile("/sys/bus/usb/drivers/([^/]+)/(bind|unbind)");
    private static final Pattern PLATFORM_DRIVER_FILE = Pattern.compile("/sys/bus/platform/drivers/([^/]+)/(bind|unbind)");

    /** The sysfs paths of PCI functions and drivers. */
    private static final class PciDeviceFiles {
        static final String DEVICES = "/sys/bus/pci/devices";
        static final String DRIVERS = "/sys/bus/pci/drivers";
    }

    // ---- kernel-like writes ----

    /**
     * From now on {@link #host()} answers writes the way the kernel would: hugepage counts by
     * {@link #hugePages()} (or, without one, every page granted and none in use, kept in the
     * files only); {@code cgroup.subtree_control} as a set of controllers changed by
     * {@code +name}/{@code -name}; a CPU list that is no list or names a CPU this host lacks
     * refused with {@code Invalid argument} ({@code cpuset.cpus}, {@code smp_affinity_list});
     * an interrupt's {@code smp_affinity_list} rewriting its {@code smp_affinity} mask; and
     * every other file read back as the value and one newline, as sysfs and procfs print it.
     */
    public FakeHost kernelWrites() {
        this.kernelWrites = true;
        return this;
    }

    private final class KernelWrites implements HostWriteListener {
        @Override
        public void beforeWrite(Change intended) throws IOException {
            String path = intended.path();
            if ((path.endsWith("/smp_affinity_list") || path.endsWith("/cpuset.cpus")) && !isCpuList(intended.after())) {
                throw new IOException("Invalid argument");
            }
            if (hugePages != null) {
                hugePages.beforeWrite(intended);
            }
            if (path.startsWith("/sys/devices/system/cpu/cpufreq/")) {
                cpufreqWrite(path, intended.after());
            }
            if (path.endsWith("/cgroup.subtree_control")) {
                // The write replaces the file's bytes; the kernel would apply it to what was enabled.
                subtreeBefore.put(path, read(path));
            }
        }

        @Override
        public void beforeTrigger(String path, String value) throws IOException {
            if (hugePages != null) {
                hugePages.beforeTrigger(path, value);
            }
            driverCore(path, value);
        }

        @Override
        public void afterWrite(Change done) {
            String path = done.path();
            Matcher pool = NR_HUGEPAGES.matcher(path);
            if (path.endsWith("/nr_hugepages") && hugePages != null) {
                hugePages.afterWrite(done);
            } else if (pool.matches()) {
                pagesNoneInUse(pool.group(1), done.after().strip());
            } else if (path.endsWith("/cgroup.subtree_control")) {
                subtreeControl(path, subtreeBefore.remove(path), done.after());
            } else if (path.endsWith("/driver_override")) {
                // An empty write clears the override, which then reads "(null)".
                file(path, done.after().strip().isEmpty() ? "(null)" : done.after().strip());
            } else {
                String value = done.after().strip();
                file(path, value.isEmpty() ? "\n" : value);
                if (path.startsWith("/sys/bus/usb/devices/") && path.endsWith("/authorized")) {
                    usbAuthorized(path, value);
                }
                if (path.startsWith("/proc/irq/") && path.endsWith("/smp_affinity_list")) {
                    file(path.substring(0, path.length() - "_list".length()), CpuSet.parseList(value).toMask(cpus));
                }
            }
        }
    }

    /** What the kernel's cpulist parser accepts, bounded to this host's CPUs. */
    private boolean isCpuList(String value) {
        try {
            CpuSet list = CpuSet.parseList(value.strip());
            return list.isEmpty() || list.stream().max().getAsInt() < cpus;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The counters of a pool whose every page asked for is granted on node 0 and none is in use. */
    private void pagesNoneInUse(String sizeDirectory, String nr) {
        String global = "/sys/kernel/mm/hugepages/" + sizeDirectory + "/";
        String node = "/sys/devices/system/node/node0/hugepages/" + sizeDirectory + "/";
        for (String file : new String[] {global + "nr_hugepages", global + "nr_hugepages_mempolicy", global + "free_hugepages",
                node + "nr_hugepages", node + "free_hugepages"}) {
            file(file, nr);
        }
    }

    /** Enables or disables controllers, listed in the order of the root's {@code cgroup.controllers}. */
    private void subtreeControl(String path, String before, String write) {
        Set<String> enabled = new HashSet<>();
        for (String word : before.strip().split("\\s+")) {
            if (!word.isEmpty()) {
                enabled.add(word);
            }
        }
        for (String word : write.strip().split("\\s+")) {
            if (word.startsWith("+")) {
                enabled.add(word.substring(1));
            } else if (word.startsWith("-")) {
                enabled.remove(word.substring(1));
            }
        }
        StringBuilder out = new StringBuilder();
        for (String controller : read(CGROUP + "/cgroup.controllers").strip().split(" ")) {
            if (enabled.contains(controller)) {
                out.append(out.length() == 0 ? "" : " ").append(controller);
            }
        }
        file(path, out.length() == 0 ? "\n" : out.toString());
    }

    // ---- files ----

    /**
     * Writes a file as the kernel shows it: the value and a newline; {@code ""} for a file that
     * reads empty, {@code "\n"} for one that prints an empty line (an empty CPU list).
     */
    public FakeHost file(String hostPath, String content) {
        String text = content.isEmpty() || content.equals("\n") ? content : content + "\n";
        return writeBytes(hostPath, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes these exact bytes, for damaged and hostile files. */
    public FakeHost writeBytes(String hostPath, byte[] bytes) {
        try {
            Path file = local(hostPath);
            Files.createDirectories(file.getParent());
            Files.write(file, bytes);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public FakeHost dir(String hostPath) {
        try {
            Files.createDirectories(local(hostPath));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes one file or empty directory, which must exist. */
    public FakeHost delete(String hostPath) {
        try {
            Files.delete(local(hostPath));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes a file or a directory with everything below it, if it exists. */
    public FakeHost deleteTree(String hostPath) {
        Path top = local(hostPath);
        if (!Files.exists(top)) {
            return this;
        }
        try (Stream<Path> walk = Files.walk(top)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a file holds now, without the trailing newline, read as the code under test would. */
    public String read(String hostPath) {
        return HostRoot.at(root).read(hostPath);
    }

    /** What a file holds now, byte for byte (as UTF-8), as written by the code under test. */
    public String content(String hostPath) {
        try {
            return Files.readString(local(hostPath), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where a host path is in the test directory. */
    public Path local(String hostPath) {
        if (!hostPath.startsWith("/")) {
            throw new IllegalArgumentException("not an absolute host path: " + hostPath);
        }
        return root.resolve(hostPath.substring(1));
    }
}
