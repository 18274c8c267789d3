package io.github.libvirthooks.features.reliability;

import static io.github.libvirthooks.sysfs.hugetlb.HugePageSize.TWO_MIB;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.HostWriteListener;
import io.github.libvirthooks.sysfs.cgroup.LibvirtMachineScope;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import io.github.libvirthooks.testkit.SimulatedHugePages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A whole fake host for the reliability suites, in one directory: 8 CPUs with SMT siblings
 * (n and n+4), one NUMA node, a pure cgroup v2 hierarchy with the host's slices and
 * {@code machine.slice}, {@code /proc/meminfo}, RT throttling, workqueue masks, two interrupts,
 * {@code timer_migration}, and the kernel's hugepage accounting played by
 * {@link SimulatedHugePages} (2 MiB pages, none reserved). QEMU processes come and go with
 * {@link #spawnQemu} and {@link #exitQemu}, like libvirt's do around {@code started}.
 */
final class FakeHostTree {
    static final String CGROUP = "/sys/fs/cgroup";
    static final String MOUNTINFO = "24 1 0:22 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
            + "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";
    static final String RT_RUNTIME = "/proc/sys/kernel/sched_rt_runtime_us";
    /** Trigger files: the kernel acts on a write and keeps no value worth restoring. */
    static final String DROP_CACHES = "proc/sys/vm/drop_caches";
    static final String COMPACT_MEMORY = "proc/sys/vm/compact_memory";

    final Path root;
    final SimulatedHugePages kernel;
    private final java.util.Map<String, String> subtreeBefore = new java.util.concurrent.ConcurrentHashMap<>();

    private FakeHostTree(Path root, SimulatedHugePages kernel) {
        this.root = root;
        this.kernel = kernel;
    }

    /**
     * A tree laid out by another {@code FakeHostTree} (in another process). The simulated
     * kernel's counts live in the memory of the process that made it, so here hugepage writes are
     * answered from the files alone: every page asked for is granted and none is in use.
     */
    static FakeHostTree attach(Path root) {
        return new FakeHostTree(root, null);
    }

    FakeHostTree(Path root) {
        this.root = root;
        this.kernel = new SimulatedHugePages(root, 1, TWO_MIB);
        cpus(8);
        file("/sys/devices/system/node/node0/cpulist", "0-7");
        file("/proc/meminfo", "MemTotal:       16384000 kB\nMemFree:        12000000 kB\nMemAvailable:   12000000 kB\n"
                + "HugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\nHugePages_Surp:        0\n"
                + "Hugepagesize:       2048 kB");
        file("/proc/self/mountinfo", MOUNTINFO.strip());
        file(CGROUP + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc");
        file(CGROUP + "/cgroup.subtree_control", "memory pids");
        file(CGROUP + "/cgroup.procs", "");
        file(CGROUP + "/cpuset.cpus.effective", "0-7");
        for (String slice : new String[] {"init.scope", "system.slice", "user.slice", "machine.slice"}) {
            String dir = CGROUP + "/" + slice;
            file(dir + "/cgroup.controllers", "cpuset cpu memory pids");
            file(dir + "/cgroup.subtree_control", "\n");
            file(dir + "/cgroup.procs", "");
            file(dir + "/cpuset.cpus", "\n");
            file(dir + "/cpuset.cpus.partition", "member");
        }
        file(RT_RUNTIME, "950000");
        file("/proc/sys/kernel/sched_rt_period_us", "1000000");
        file("/proc/sys/kernel/timer_migration", "1");
        file("/sys/devices/virtual/workqueue/cpumask", "ff");
        file("/sys/bus/workqueue/devices/writeback/cpumask", "ff");
        file("/proc/irq/default_smp_affinity", "ff");
        file("/proc/irq/24/smp_affinity_list", "0-7");
        file("/proc/irq/24/smp_affinity", "ff");
        file("/proc/irq/25/smp_affinity_list", "2");
        file("/proc/irq/25/smp_affinity", "04");
        dir("/run/libvirt/qemu");
    }

    /**
     * The host as the hook sees it. A write is answered the way the kernel would: hugepage
     * counts by {@link SimulatedHugePages} (only those reach it: its {@code afterWrite} parses
     * every value as a number, see {@link FoundBugsRegressionTest}), {@code cgroup.subtree_control} as a
     * set of controllers changed by {@code +name}/{@code -name}, an interrupt's
     * {@code smp_affinity_list} with its {@code smp_affinity} mask, and every other file read
     * back as the value and one newline, as sysfs and procfs print it.
     */
    HostRoot host() {
        return HostRoot.at(root).withListener(new HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) throws IOException {
                String path = intended.path();
                if ((path.endsWith("/smp_affinity_list") || path.endsWith("/cpuset.cpus")) && !isCpuList(intended.after())) {
                    throw new IOException("Invalid argument");
                }
                if (kernel != null) {
                    kernel.beforeWrite(intended);
                }
                if (intended.path().endsWith("/cgroup.subtree_control")) {
                    // The write replaces the file's bytes; the kernel would apply it to what was enabled.
                    subtreeBefore.put(intended.path(), read(intended.path()));
                }
            }

            @Override
            public void beforeTrigger(String path, String value) {
                if (kernel != null) {
                    kernel.beforeTrigger(path, value);
                }
            }

            @Override
            public void afterWrite(Change done) {
                String path = done.path();
                if (path.endsWith("/nr_hugepages") && kernel != null) {
                    kernel.afterWrite(done);
                } else if (path.endsWith("/hugepages-2048kB/nr_hugepages")) {
                    pagesNoneInUse(done.after().strip());
                } else if (path.endsWith("/cgroup.subtree_control")) {
                    subtreeControl(path, subtreeBefore.remove(path), done.after());
                } else {
                    String value = done.after().strip();
                    file(path, value.isEmpty() ? "\n" : value);
                    if (path.startsWith("/proc/irq/") && path.endsWith("/smp_affinity_list")) {
                        String mask = CpuSet.parseList(value).toMask(8);
                        file(path.substring(0, path.length() - "_list".length()), mask);
                    }
                }
            }
        });
    }

    /** What the kernel's cpulist parser accepts (bounded to this host's 8 CPUs). */
    private static boolean isCpuList(String value) {
        try {
            CpuSet cpus = CpuSet.parseList(value.strip());
            return cpus.isEmpty() || cpus.stream().max().getAsInt() < 8;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * The hugepage counters of a kernel that grants every page asked for and has none in use,
     * kept only in the files, so that hook processes sharing this tree agree on them.
     */
    private void pagesNoneInUse(String nr) {
        String global = "/sys/kernel/mm/hugepages/hugepages-2048kB/";
        String node = "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/";
        for (String file : new String[] {global + "nr_hugepages", global + "nr_hugepages_mempolicy", global + "free_hugepages",
                node + "nr_hugepages", node + "free_hugepages"}) {
            file(file, nr);
        }
    }

    /** Enables or disables controllers, listed in the order of the root's {@code cgroup.controllers}. */
    private void subtreeControl(String path, String before, String write) {
        java.util.Set<String> enabled = new java.util.HashSet<>();
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

    /** systemd runs as PID 1; its units' AllowedCPUs start unset. */
    FakeHostTree systemd() {
        dir("/run/systemd/system");
        for (String unit : FakeHostCommands.UNITS) {
            file(FakeHostCommands.PROPERTY_DIR + "/" + unit, "");
        }
        return this;
    }

    /**
     * QEMU for {@code vm} starts: process {@code pid} with vCPU threads pid+1.., an IOThread
     * pid+50 and libvirt's systemd scope {@code id} with one {@code libvirt/vcpuN} cgroup each.
     */
    void spawnQemu(String vm, int id, int pid, int vcpus) {
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
        file(scope + "/libvirt/emulator/cgroup.threads", Integer.toString(pid));
    }

    /** QEMU for {@code vm} ends: its process, threads, pid file and scope disappear. */
    void exitQemu(String vm, int id, int pid, int vcpus) {
        deleteTree("/run/libvirt/qemu/" + vm + ".pid");
        deleteTree("/proc/" + pid);
        for (int v = 0; v < vcpus; v++) {
            deleteTree("/proc/" + (pid + 1 + v));
        }
        deleteTree("/proc/" + (pid + 50));
        deleteTree(scopePath(vm, id));
    }

    static String scopePath(String vm, int id) {
        return CGROUP + "/machine.slice/" + LibvirtMachineScope.systemdScopeName(LibvirtMachineScope.machineName("qemu", id, vm));
    }

    /** A thread, listed under its process and readable as {@code /proc/TID/task/TID/stat}. */
    private void thread(int pid, int tid, String comm) {
        String stat = FakeHostCommands.stat(tid, comm, 0, 0, 0);
        file("/proc/" + pid + "/task/" + tid + "/comm", comm);
        file("/proc/" + pid + "/task/" + tid + "/stat", stat);
        file("/proc/" + tid + "/task/" + tid + "/comm", comm);
        file("/proc/" + tid + "/task/" + tid + "/stat", stat);
    }

    private void cpus(int cpus) {
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
    }

    /** The snapshot the suites compare: every file of the host but the trigger files, which hold no state. */
    TreeSnapshot snapshot() {
        return TreeSnapshot.of(root, rel -> !rel.equals(DROP_CACHES) && !rel.equals(COMPACT_MEMORY));
    }

    /**
     * Writes a file as the kernel shows it: the value and a newline; {@code ""} for a file that
     * reads empty, {@code "\n"} for one that prints an empty line (an empty CPU list).
     */
    FakeHostTree file(String hostPath, String content) {
        String text = content.isEmpty() || content.equals("\n") ? content : content + "\n";
        writeBytes(hostPath, text.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    FakeHostTree writeBytes(String hostPath, byte[] bytes) {
        try {
            Path file = root.resolve(hostPath.substring(1));
            Files.createDirectories(file.getParent());
            Files.write(file, bytes);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    FakeHostTree dir(String hostPath) {
        try {
            Files.createDirectories(root.resolve(hostPath.substring(1)));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void deleteTree(String hostPath) {
        Path top = root.resolve(hostPath.substring(1));
        if (!Files.exists(top)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(top)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String read(String hostPath) {
        return HostRoot.at(root).read(hostPath);
    }
}
