package io.github.libvirthooks.features.isolcpu;

import io.github.libvirthooks.sysfs.HostRoot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A host tree in a test directory: CPU topology with SMT siblings, a cgroup v2 hierarchy with
 * its mountinfo line, and the optional knobs isolcpu touches, as plain files.
 */
final class FakeHost {
    static final String CGROUP = "/sys/fs/cgroup";
    static final String UNIFIED_MOUNTINFO =
            "24 1 0:22 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
            + "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";

    private final Path root;

    FakeHost(Path root) {
        this.root = root;
        dir("/");
    }

    HostRoot host() {
        return HostRoot.at(root);
    }

    /**
     * {@code cpus} online CPUs, two hardware threads per core numbered like Intel's:
     * CPU n and CPU n + cpus/2 are siblings.
     */
    FakeHost smtCpus(int cpus) {
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

    /** A pure cgroup v2 host: the root cgroup with every controller available, cpuset not yet enabled. */
    FakeHost cgroup2(String... topLevel) {
        file("/proc/self/mountinfo", UNIFIED_MOUNTINFO.strip());
        file(CGROUP + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc");
        file(CGROUP + "/cgroup.subtree_control", "memory pids");
        file(CGROUP + "/cgroup.procs", "");
        file(CGROUP + "/cpuset.cpus.effective", "0-7");
        for (String name : topLevel) {
            topLevel(name);
        }
        return this;
    }

    /** A top-level cgroup with its cpuset files as the kernel creates them once cpuset is enabled. */
    FakeHost topLevel(String name) {
        String dir = CGROUP + "/" + name;
        file(dir + "/cgroup.controllers", "cpuset cpu memory pids");
        file(dir + "/cgroup.subtree_control", "");
        file(dir + "/cgroup.procs", "");
        file(dir + "/cpuset.cpus", "");
        file(dir + "/cpuset.cpus.partition", "member");
        return this;
    }

    /** systemd runs as PID 1. */
    FakeHost systemd() {
        return dir("/run/systemd/system");
    }

    FakeHost workqueues() {
        file("/sys/devices/virtual/workqueue/cpumask", "ff");
        return file("/sys/bus/workqueue/devices/writeback/cpumask", "ff");
    }

    FakeHost irq(int irq, String affinity) {
        file("/proc/irq/default_smp_affinity", "ff");
        return file("/proc/irq/" + irq + "/smp_affinity_list", affinity);
    }

    FakeHost timerMigration() {
        return file("/proc/sys/kernel/timer_migration", "1");
    }

    FakeHost cmdline(String text) {
        return file("/proc/cmdline", text);
    }

    /** Writes a file as the kernel shows it: the value and a newline. */
    FakeHost file(String hostPath, String content) {
        try {
            Path file = root.resolve(hostPath.substring(1));
            Files.createDirectories(file.getParent());
            Files.writeString(file, content.isEmpty() ? "" : content + "\n", StandardCharsets.UTF_8);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    FakeHost dir(String hostPath) {
        try {
            Files.createDirectories(root.resolve(hostPath.substring(1)));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    FakeHost delete(String hostPath) {
        try {
            Files.delete(root.resolve(hostPath.substring(1)));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a file holds now, without the trailing newline. */
    String read(String hostPath) {
        return host().read(hostPath);
    }

    /** cpuset.cpus of a top-level cgroup. */
    String cpus(String cgroup) {
        return read(CGROUP + "/" + cgroup + "/cpuset.cpus");
    }
}
