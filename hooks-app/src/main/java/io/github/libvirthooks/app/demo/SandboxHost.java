package io.github.libvirthooks.app.demo;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostWriteListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A sandboxed host tree for the demo: the sysfs and procfs files the demo VM's features touch,
 * plus a small stand-in for the kernel's hugepage accounting, so that the demo shows what the
 * real host would do (including a first reservation that falls short until memory is
 * compacted) without touching the real machine.
 */
public final class SandboxHost implements HostWriteListener {
    static final String POOL = "/sys/kernel/mm/hugepages/hugepages-2048kB";

    private final Path root;
    /** Pages the sandbox kernel can turn into hugepages now, and after compaction. */
    private long contiguous;
    private long compactable;

    private SandboxHost(Path root, long contiguous, long compactable) {
        this.root = root;
        this.contiguous = contiguous;
        this.compactable = compactable;
    }

    /** Lays out a fresh tree under {@code root}, replacing any earlier one. */
    public static SandboxHost create(Path root, long contiguousPages, long compactablePages) {
        try {
            if (Files.exists(root)) {
                try (Stream<Path> walk = Files.walk(root)) {
                    walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            write(root, POOL + "/nr_hugepages", "0");
            write(root, POOL + "/free_hugepages", "0");
            write(root, POOL + "/resv_hugepages", "0");
            write(root, POOL + "/surplus_hugepages", "0");
            write(root, POOL + "/nr_overcommit_hugepages", "0");
            write(root, "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "0");
            write(root, "/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages", "0");
            write(root, "/sys/kernel/mm/hugepages/hugepages-1048576kB/resv_hugepages", "0");
            write(root, "/sys/kernel/mm/hugepages/hugepages-1048576kB/surplus_hugepages", "0");
            write(root, "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_overcommit_hugepages", "0");
            write(root, "/proc/sys/vm/drop_caches", "0");
            write(root, "/proc/sys/vm/compact_memory", "");
            Files.createDirectories(root.resolve("run/libvirt/qemu"));
            Files.createDirectories(root.resolve("proc/self"));
            return new SandboxHost(root.toAbsolutePath(), contiguousPages, compactablePages);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lay out the demo host tree under " + root, e);
        }
    }

    public Path root() {
        return root;
    }

    @Override
    public void beforeWrite(Change intended) {
    }

    @Override
    public void beforeTrigger(String path, String value) {
        if (path.equals("/proc/sys/vm/compact_memory")) {
            contiguous += compactable;
            compactable = 0;
        }
    }

    @Override
    public void afterWrite(Change done) {
        if (!done.path().equals(POOL + "/nr_hugepages")) {
            return;
        }
        long before = Long.parseLong(done.before().strip());
        long target = Long.parseLong(done.after().strip());
        long free = read(POOL + "/free_hugepages");
        long nr = before;
        if (target > before) {
            long add = Math.min(target - before, contiguous);
            contiguous -= add;
            nr += add;
            free += add;
        } else {
            long remove = Math.min(before - target, free - read(POOL + "/resv_hugepages"));
            contiguous += remove;
            nr -= remove;
            free -= remove;
        }
        write(root, POOL + "/nr_hugepages", Long.toString(nr));
        write(root, POOL + "/free_hugepages", Long.toString(free));
    }

    /** What QEMU does at start: maps its pages (they stop being free) and libvirt writes its pid file. */
    public void qemuStarts(String vmName, long pages) {
        write(root, POOL + "/free_hugepages", Long.toString(read(POOL + "/free_hugepages") - pages));
        long pid = ProcessHandle.current().pid();
        write(root, "/run/libvirt/qemu/" + vmName + ".pid", Long.toString(pid));
        write(root, "/proc/" + pid + "/comm", "qemu-system-x86");
    }

    /** What QEMU's exit does: its pages are free again and the pid file goes. */
    public void qemuStops(String vmName, long pages) {
        write(root, POOL + "/free_hugepages", Long.toString(read(POOL + "/free_hugepages") + pages));
        try {
            Files.deleteIfExists(root.resolve("run/libvirt/qemu/" + vmName + ".pid"));
            long pid = ProcessHandle.current().pid();
            Files.deleteIfExists(root.resolve("proc/" + pid + "/comm"));
            Files.deleteIfExists(root.resolve("proc/" + pid));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every file of the tree with its content, to show that the host ends as it began. */
    public Map<String, String> snapshot() {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                String hostPath = "/" + root.relativize(p);
                // Write-only triggers in the real kernel: they hold no state to restore.
                if (hostPath.equals("/proc/sys/vm/drop_caches") || hostPath.equals("/proc/sys/vm/compact_memory")) {
                    continue;
                }
                files.put("/" + root.relativize(p), Files.readString(p, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    private long read(String hostPath) {
        try {
            return Long.parseLong(Files.readString(root.resolve(hostPath.substring(1))).strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path root, String hostPath, String value) {
        try {
            Path file = root.resolve(hostPath.substring(1));
            Files.createDirectories(file.getParent());
            Files.writeString(file, value + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
