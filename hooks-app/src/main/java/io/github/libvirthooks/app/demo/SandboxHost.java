package io.github.libvirthooks.app.demo;

import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;
import io.github.libvirthooks.testkit.SimulatedHugePages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The demo's host: a fresh tree laid out like {@code /sys} and {@code /proc}, with the
 * kernel's hugepage accounting simulated, and what QEMU and libvirtd themselves do to it
 * (map the guest's pages, write the pid file) played between hook events.
 */
final class SandboxHost {
    private final Path root;
    private final SimulatedHugePages kernel;

    private SandboxHost(Path root, SimulatedHugePages kernel) {
        this.root = root;
        this.kernel = kernel;
    }

    /**
     * Lays out a fresh tree under {@code root}, replacing an earlier one, where only
     * {@code allocatablePages} 2 MiB pages can be had at once and each compaction finds
     * {@code pagesPerCompaction} more.
     */
    static SandboxHost create(Path root, long allocatablePages, long pagesPerCompaction) {
        try {
            if (Files.exists(root)) {
                try (Stream<Path> walk = Files.walk(root)) {
                    walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            Files.createDirectories(root.resolve("run/libvirt/qemu"));
            SimulatedHugePages kernel = new SimulatedHugePages(root.toAbsolutePath(), 1, HugePageSize.TWO_MIB, HugePageSize.ONE_GIB)
                    .limitAllocatable(HugePageSize.TWO_MIB, 0, allocatablePages)
                    .onCompaction(HugePageSize.TWO_MIB, 0, pagesPerCompaction);
            return new SandboxHost(root.toAbsolutePath(), kernel);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lay out the demo host tree under " + root, e);
        }
    }

    Path root() {
        return root;
    }

    /** The tree, with the simulated kernel answering every write. */
    HostRoot host() {
        return kernel.host();
    }

    /** What QEMU does at start: faults in the guest's pages; and libvirtd writes the pid file. */
    void qemuStarts(String vmName, long pages) {
        kernel.inUse(HugePageSize.TWO_MIB, 0, pages);
        kernel.write("/run/libvirt/qemu/" + vmName + ".pid", ProcessHandle.current().pid() + "\n");
        kernel.write("/proc/" + ProcessHandle.current().pid() + "/comm", "qemu-system-x86\n");
    }

    /** What QEMU's exit does: its pages are free again, the pid file and process go. */
    void qemuStops(String vmName) {
        kernel.inUse(HugePageSize.TWO_MIB, 0, 0);
        try {
            Files.deleteIfExists(root.resolve("run/libvirt/qemu/" + vmName + ".pid"));
            Path proc = root.resolve("proc/" + ProcessHandle.current().pid());
            Files.deleteIfExists(proc.resolve("comm"));
            Files.deleteIfExists(proc);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every file of the tree with its content, to show that the host ends as it began. */
    Map<String, String> snapshot() {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                String hostPath = "/" + root.relativize(p);
                // Write-only triggers in the real kernel: they hold no state to restore.
                if (hostPath.equals("/proc/sys/vm/drop_caches") || hostPath.equals("/proc/sys/vm/compact_memory")) {
                    continue;
                }
                files.put(hostPath, Files.readString(p, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }
}
