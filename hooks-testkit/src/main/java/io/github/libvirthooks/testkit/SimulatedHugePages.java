package io.github.libvirthooks.testkit;

import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.HostWriteListener;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for the kernel's hugepage accounting, for tests and demos of code built on
 * {@code hooks-sysfs} that must not touch a real host. It lays out {@code /sys/kernel/mm/hugepages}, the per-node
 * pools, {@code /proc/sys/vm/drop_caches} and {@code compact_memory} below a temporary root,
 * and, as the {@link HostWriteListener} of the {@link HostRoot} it hands out, answers writes
 * to {@code nr_hugepages} the way the kernel does: it grants only as many pages as it can
 * "find" ({@link #limitAllocatable}), finds more after compaction ({@link #onCompaction}),
 * never frees pages in use or reserved, and rewrites every counter file after each write.
 */
public final class SimulatedHugePages implements HostWriteListener {
    private static final Pattern GLOBAL_NR = Pattern.compile("/sys/kernel/mm/hugepages/hugepages-(\\d+)kB/nr_hugepages");
    private static final Pattern NODE_NR = Pattern.compile("/sys/devices/system/node/node(\\d+)/hugepages/hugepages-(\\d+)kB/nr_hugepages");

    private final Path root;
    private final int nodeCount;
    private final Map<HugePageSize, Pool> pools = new LinkedHashMap<>();
    private final List<Change> seen = new ArrayList<>();
    private int compactions;
    private int cacheDrops;

    /** Per size: per node counters, and the host-wide reservation count. */
    private static final class Pool {
        final long[] nr;
        final long[] inUse;
        final long[] allocatable;
        final long[] compactionBonus;
        long resv;

        Pool(int nodes) {
            nr = new long[nodes];
            inUse = new long[nodes];
            allocatable = new long[nodes];
            compactionBonus = new long[nodes];
            java.util.Arrays.fill(allocatable, Long.MAX_VALUE / 4);
        }

        long total() {
            long sum = 0;
            for (long n : nr) {
                sum += n;
            }
            return sum;
        }

        long totalInUse() {
            long sum = 0;
            for (long n : inUse) {
                sum += n;
            }
            return sum;
        }
    }

    /**
     * Lays out the fake kernel below {@code root}: for each size the host-wide and per-node
     * hugepage pools, all empty, plus {@code drop_caches}, {@code compact_memory} and
     * {@code node/online}. Until {@link #limitAllocatable} says otherwise, every page asked
     * for is found.
     *
     * @param root  the directory that stands for the host's {@code /}, usually a temporary one
     * @param nodes the number of NUMA nodes, numbered from 0
     * @param sizes the hugepage sizes the fake kernel offers
     */
    public SimulatedHugePages(Path root, int nodes, HugePageSize... sizes) {
        this.root = root;
        this.nodeCount = nodes;
        for (HugePageSize size : sizes) {
            pools.put(size, new Pool(nodes));
        }
        write("/proc/sys/vm/drop_caches", "0\n");
        write("/proc/sys/vm/compact_memory", "");
        if (nodes > 0) {
            write("/sys/devices/system/node/online", (nodes == 1 ? "0" : "0-" + (nodes - 1)) + "\n");
        }
        render();
    }

    /** The fake host, with this kernel watching every write. */
    public HostRoot host() {
        return HostRoot.at(root).withListener(this);
    }

    /** Sets the persistent pages of {@code size} on {@code node}, all free. */
    public SimulatedHugePages pages(HugePageSize size, int node, long nr) {
        pool(size).nr[node] = nr;
        render();
        return this;
    }

    /** Marks {@code pages} pages on {@code node} as faulted in by a running program. */
    public SimulatedHugePages inUse(HugePageSize size, int node, long pages) {
        pool(size).inUse[node] = pages;
        render();
        return this;
    }

    /** Sets the host-wide count of reserved (promised, not yet faulted) pages. */
    public SimulatedHugePages reserved(HugePageSize size, long pages) {
        pool(size).resv = pages;
        render();
        return this;
    }

    /** From now on the kernel finds only {@code pages} more pages on {@code node}. */
    public SimulatedHugePages limitAllocatable(HugePageSize size, int node, long pages) {
        pool(size).allocatable[node] = pages;
        return this;
    }

    /** Each compaction makes {@code pages} more pages allocatable on {@code node}. */
    public SimulatedHugePages onCompaction(HugePageSize size, int node, long pages) {
        pool(size).compactionBonus[node] = pages;
        return this;
    }

    /** Removes {@code compact_memory}, like a kernel without CONFIG_COMPACTION. */
    public SimulatedHugePages withoutCompaction() {
        try {
            Files.delete(root.resolve("proc/sys/vm/compact_memory"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** How many times memory compaction was triggered by a write to {@code compact_memory}. */
    public int compactions() {
        return compactions;
    }

    /** How many times caches were dropped by a write to {@code drop_caches}. */
    public int cacheDrops() {
        return cacheDrops;
    }

    /** Every write seen, in order, triggers included. */
    public List<Change> seen() {
        return List.copyOf(seen);
    }

    /** The persistent pages of {@code size} on {@code node}: that node's {@code nr_hugepages}. */
    public long nr(HugePageSize size, int node) {
        return pool(size).nr[node];
    }

    /** The persistent pages of {@code size} on all nodes: the host-wide {@code nr_hugepages}. */
    public long total(HugePageSize size) {
        return pool(size).total();
    }

    /** Overwrites a file below the root, for malformed-file tests. */
    public void write(String hostPath, String content) {
        try {
            Path file = root.resolve(hostPath.substring(1));
            Files.createDirectories(file.getParent());
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void beforeWrite(Change intended) {
        seen.add(intended);
    }

    @Override
    public void beforeTrigger(String path, String value) {
        // Trigger files have no old value; the fake acts on them as the kernel does, at once.
        seen.add(new Change(path, "", value));
        if (path.equals("/proc/sys/vm/compact_memory")) {
            compactions++;
            for (Pool pool : pools.values()) {
                for (int n = 0; n < nodeCount; n++) {
                    pool.allocatable[n] += pool.compactionBonus[n];
                }
            }
            return;
        }
        if (path.equals("/proc/sys/vm/drop_caches")) {
            cacheDrops++;
        }
    }

    @Override
    public void afterWrite(Change done) {
        String path = done.path();
        Matcher global = GLOBAL_NR.matcher(path);
        Matcher node = NODE_NR.matcher(path);
        if (!global.matches() && !node.matches()) {
            return;
        }
        long target = Long.parseLong(done.after().trim());
        if (global.matches()) {
            Pool pool = pool(sizeOf(global.group(1)));
            setGlobal(pool, target);
        } else if (node.matches()) {
            Pool pool = pool(sizeOf(node.group(2)));
            setNode(pool, Integer.parseInt(node.group(1)), target);
        }
        render();
    }

    /** Like the kernel: raise round-robin over nodes; lower only free, unreserved pages. */
    private void setGlobal(Pool pool, long target) {
        long minimum = pool.totalInUse() + pool.resv;
        target = Math.max(target, minimum);
        boolean progress = true;
        while (pool.total() < target && progress) {
            progress = false;
            for (int n = 0; n < nodeCount && pool.total() < target; n++) {
                if (pool.allocatable[n] > 0) {
                    pool.allocatable[n]--;
                    pool.nr[n]++;
                    progress = true;
                }
            }
        }
        progress = true;
        while (pool.total() > target && progress) {
            progress = false;
            for (int n = 0; n < nodeCount && pool.total() > target; n++) {
                if (pool.nr[n] > pool.inUse[n]) {
                    pool.nr[n]--;
                    pool.allocatable[n]++;
                    progress = true;
                }
            }
        }
    }

    private void setNode(Pool pool, int n, long target) {
        long others = pool.total() - pool.nr[n];
        long minimum = pool.totalInUse() + pool.resv - others;
        target = Math.max(target, Math.max(minimum, pool.inUse[n]));
        if (target > pool.nr[n]) {
            long add = Math.min(target - pool.nr[n], pool.allocatable[n]);
            pool.allocatable[n] -= add;
            pool.nr[n] += add;
        } else {
            pool.allocatable[n] += pool.nr[n] - target;
            pool.nr[n] = target;
        }
    }

    private HugePageSize sizeOf(String kilobytes) {
        return new HugePageSize(Long.parseLong(kilobytes) * 1024);
    }

    private Pool pool(HugePageSize size) {
        Pool pool = pools.get(size);
        if (pool == null) {
            throw new IllegalArgumentException("fake kernel has no " + size + " pages");
        }
        return pool;
    }

    private void render() {
        for (Map.Entry<HugePageSize, Pool> e : pools.entrySet()) {
            HugePageSize size = e.getKey();
            Pool pool = e.getValue();
            String dir = "/sys/kernel/mm/hugepages/" + size.directoryName();
            long total = pool.total();
            long free = total - pool.totalInUse();
            write(dir + "/nr_hugepages", total + "\n");
            write(dir + "/nr_hugepages_mempolicy", total + "\n");
            write(dir + "/free_hugepages", free + "\n");
            write(dir + "/resv_hugepages", pool.resv + "\n");
            write(dir + "/surplus_hugepages", "0\n");
            write(dir + "/nr_overcommit_hugepages", "0\n");
            for (int n = 0; n < nodeCount; n++) {
                String nodeDir = "/sys/devices/system/node/node" + n + "/hugepages/" + size.directoryName();
                write(nodeDir + "/nr_hugepages", pool.nr[n] + "\n");
                write(nodeDir + "/free_hugepages", (pool.nr[n] - pool.inUse[n]) + "\n");
                write(nodeDir + "/surplus_hugepages", "0\n");
            }
        }
    }
}
