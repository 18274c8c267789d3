package io.github.libvirthooks.sysfs.cgroup;

import io.github.libvirthooks.sysfs.HostRoot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A host tree in a test directory laid out like a cgroup v2 host: {@code /proc/self/mountinfo}
 * and cgroup directories with their files, as plain files the test can read back.
 */
final class FakeCgroupTree {
    static final String MOUNT = "/sys/fs/cgroup";

    private final Path root;
    private final HostRoot host;

    FakeCgroupTree(Path root) {
        this.root = root;
        this.host = HostRoot.at(root);
    }

    HostRoot host() {
        return host;
    }

    /** The unified root at {@value #MOUNT}, created with the usual root files. */
    Cgroup unifiedRoot() {
        file(MOUNT + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc");
        file(MOUNT + "/cgroup.subtree_control", "");
        file(MOUNT + "/cgroup.procs", "1");
        file(MOUNT + "/cgroup.threads", "1");
        file(MOUNT + "/cpuset.cpus.effective", "0-7");
        file(MOUNT + "/cpuset.mems.effective", "0");
        return Cgroup.root(host, MOUNT);
    }

    /** Makes a cgroup directory with the core files, controllers as given. */
    FakeCgroupTree cgroup(String relativePath, String controllers) {
        String dir = MOUNT + "/" + relativePath;
        file(dir + "/cgroup.controllers", controllers);
        file(dir + "/cgroup.subtree_control", "");
        file(dir + "/cgroup.procs", "");
        file(dir + "/cgroup.threads", "");
        return this;
    }

    /** The cpuset files of a non-root cgroup with the given values. */
    FakeCgroupTree cpusetFiles(String relativePath, String cpus, String partition) {
        String dir = MOUNT + "/" + relativePath;
        file(dir + "/cpuset.cpus", cpus);
        file(dir + "/cpuset.cpus.effective", cpus.isEmpty() ? "0-7" : cpus);
        file(dir + "/cpuset.mems", "");
        file(dir + "/cpuset.mems.effective", "0");
        file(dir + "/cpuset.cpus.partition", partition);
        return this;
    }

    /** The cpu files of a non-root cgroup with the kernel's defaults. */
    FakeCgroupTree cpuFiles(String relativePath) {
        String dir = MOUNT + "/" + relativePath;
        file(dir + "/cpu.weight", "100");
        file(dir + "/cpu.weight.nice", "0");
        file(dir + "/cpu.idle", "0");
        file(dir + "/cpu.max", "max 100000");
        return this;
    }

    FakeCgroupTree mountinfo(String text) {
        return file(Mountinfo.PATH, text);
    }

    /** Writes a file as the kernel shows it: the value and a newline. */
    FakeCgroupTree file(String hostPath, String content) {
        try {
            Path file = root.resolve(hostPath.substring(1));
            Files.createDirectories(file.getParent());
            Files.writeString(file, content.isEmpty() ? "" : content + "\n", StandardCharsets.UTF_8);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    FakeCgroupTree dir(String hostPath) {
        try {
            Files.createDirectories(root.resolve(hostPath.substring(1)));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    FakeCgroupTree delete(String hostPath) {
        try {
            Files.delete(root.resolve(hostPath.substring(1)));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a file holds now, as written by the code under test. */
    String content(String hostPath) {
        try {
            return Files.readString(root.resolve(hostPath.substring(1)), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
