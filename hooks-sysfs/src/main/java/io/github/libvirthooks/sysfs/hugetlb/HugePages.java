package io.github.libvirthooks.sysfs.hugetlb;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.memory.CompactMemory;
import io.github.libvirthooks.sysfs.memory.DropCaches;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.stream.Collectors;

/**
 * The kernel's persistent hugepage pools ({@code /sys/kernel/mm/hugepages} and the per-node
 * pools under {@code /sys/devices/system/node/node<N>/hugepages}): which sizes exist, their
 * counters, and raising or lowering {@code nr_hugepages} by a number of pages.
 *
 * <p>{@link #reserve} and {@link #release} work in "pages added" and "pages given back",
 * never in absolute totals, so that several VMs can share a pool: each takes what it needs
 * on top of what is there and later gives back exactly what it took. Writing
 * {@code nr_hugepages} is read-modify-write: callers must hold the host-wide lock so that two
 * hooks do not interleave.
 *
 * <p>The kernel answers a raise with as many pages as it can find contiguous memory for, and
 * no error. {@link #reserve} therefore reads back what it got and, when short, drops caches,
 * compacts memory and asks again until its deadline.
 */
public final class HugePages {
    /** Pause between reclaim rounds: compaction works in the background too, give it time. */
    static final Duration RETRY_PAUSE = Duration.ofMillis(200);

    private final HostRoot host;
    private final DropCaches dropCaches;
    private final CompactMemory compactMemory;
    private final Clock clock;
    private final Sleeper sleeper;

    /** Hugepage pools of {@code host}, waiting in real time. */
    public HugePages(HostRoot host) {
        this(host, Clock.systemUTC(), Sleeper.SYSTEM);
    }

    /** Hugepage pools of {@code host}, with deadlines measured by {@code clock} and waits done by {@code sleeper}. */
    public HugePages(HostRoot host, Clock clock, Sleeper sleeper) {
        this.host = Objects.requireNonNull(host, "host");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
        this.dropCaches = new DropCaches(host);
        this.compactMemory = new CompactMemory(host);
    }

    /** True if the kernel has hugepage support at all ({@code /sys/kernel/mm/hugepages} exists). */
    public boolean isSupported() {
        return host.isDirectory(HugePagePool.SIZES_DIR);
    }

    /**
     * The page sizes the kernel offers, smallest first; empty when the kernel has no hugepage
     * support.
     *
     * @throws HostAccessException if an entry looks like a size directory but is malformed
     */
    public List<HugePageSize> supportedSizes() {
        if (!isSupported()) {
            return List.of();
        }
        List<HugePageSize> sizes = new ArrayList<>();
        for (String name : host.list(HugePagePool.SIZES_DIR)) {
            if (!HugePageSize.isDirectoryName(name)) {
                continue;
            }
            try {
                sizes.add(HugePageSize.parseDirectoryName(name));
            } catch (IllegalArgumentException e) {
                throw new HostAccessException(HugePagePool.SIZES_DIR + "/" + name, HugePagePool.SIZES_DIR + ": " + e.getMessage(), e);
            }
        }
        sizes.sort(null);
        return List.copyOf(sizes);
    }

    /**
     * The NUMA nodes the kernel lists ({@code node<N>} under {@code /sys/devices/system/node}),
     * ascending; empty on a kernel without NUMA support.
     */
    public List<Integer> nodes() {
        if (!host.isDirectory(HugePagePool.NODES_DIR)) {
            return List.of();
        }
        List<Integer> nodes = new ArrayList<>();
        for (String name : host.list(HugePagePool.NODES_DIR)) {
            if (name.matches("node(0|[1-9][0-9]{0,4})")) {
                nodes.add(Integer.parseInt(name.substring(4)));
            }
        }
        nodes.sort(null);
        return List.copyOf(nodes);
    }

    /**
     * The host-wide counters of {@code size}.
     *
     * @throws HugePagesUnsupportedException if the kernel does not offer {@code size}
     * @throws HostAccessException           if a counter file is missing or not a number
     */
    public HugePageCounters counters(HugePageSize size) {
        HugePagePool pool = HugePagePool.global(size);
        requireSupported(pool);
        String dir = pool.directory();
        return new HugePageCounters(
                readCounter(dir + "/nr_hugepages"),
                readCounter(dir + "/free_hugepages"),
                readCounter(dir + "/resv_hugepages"),
                readCounter(dir + "/surplus_hugepages"),
                readCounter(dir + "/nr_overcommit_hugepages"));
    }

    /**
     * The counters of {@code size} on NUMA node {@code node}.
     *
     * @throws HugePagesUnsupportedException if there is no such node or it has no pool of
     *                                       {@code size}
     * @throws HostAccessException           if a counter file is missing or not a number
     */
    public NodeHugePageCounters nodeCounters(HugePageSize size, int node) {
        HugePagePool pool = HugePagePool.onNode(size, node);
        requireSupported(pool);
        String dir = pool.directory();
        return new NodeHugePageCounters(node,
                readCounter(dir + "/nr_hugepages"),
                readCounter(dir + "/free_hugepages"),
                readCounter(dir + "/surplus_hugepages"));
    }

    /** The {@code nr_hugepages} of {@code pool}. */
    public long nrHugepages(HugePagePool pool) {
        requireSupported(pool);
        return readCounter(pool.nrHugepagesPath());
    }

    /** Same as {@link #reserve(HugePagePool, long, Duration)} with the pool given by size and optional node. */
    public HugePageReservation reserve(HugePageSize size, OptionalInt node, long count, Duration timeout) {
        return reserve(new HugePagePool(size, node), count, timeout);
    }

    /**
     * Adds {@code count} pages to {@code pool}: raises {@code nr_hugepages} from its current
     * value to current + {@code count}, reads back what the kernel granted, and while short
     * drops caches, compacts memory and writes the target again, until {@code timeout} has
     * passed (at least one such retry is always made). Never throws for a shortfall: the
     * result says how many pages were added, and the caller decides to keep them or give
     * them back ({@link #reserveOrThrow} does the latter).
     *
     * <p>Caches are dropped without {@code sync}: only clean pages go. A caller that wants
     * dirty pages written back first runs {@code sync}.
     *
     * @param count   pages to add, at least 0
     * @param timeout how long to keep retrying after the first attempt falls short
     * @throws HugePagesUnsupportedException if the kernel does not offer the pool
     * @throws HostAccessException           if the first write fails (nothing was added)
     */
    public HugePageReservation reserve(HugePagePool pool, long count, Duration timeout) {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(timeout, "timeout");
        if (count < 0) {
            throw new IllegalArgumentException("cannot reserve " + count + " hugepages: the count must not be negative");
        }
        String path = pool.nrHugepagesPath();
        Instant deadline = clock.instant().plus(timeout);
        if (count == 0) {
            requireSupported(pool);
            String value = Long.toString(readCounter(path));
            return new HugePageReservation(pool, 0, 0, new Change(path, value, value), List.of(), 0, false);
        }
        List<Change> writes = new ArrayList<>();
        try {
            // One read for the old value and the new one: this runs on every VM start.
            writes.add(host.update(path, new AddPages(path, count)));
        } catch (HostAccessException e) {
            // Only now look at why: a missing pool or node gets its own message.
            requireSupported(pool);
            throw e;
        }
        long before = counter(path, writes.get(0).before());
        String target = writes.get(0).after();
        long now = readCounter(path);
        int rounds = 0;
        boolean compacted = false;
        while (now - before < count) {
            if (rounds > 0) {
                Duration left = Duration.between(clock.instant(), deadline);
                if (left.isNegative() || left.isZero()) {
                    break;
                }
                try {
                    sleeper.sleep(left.compareTo(RETRY_PAUSE) < 0 ? left : RETRY_PAUSE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            rounds++;
            compacted |= reclaim();
            try {
                writes.add(host.write(path, target));
                now = readCounter(path);
            } catch (HostAccessException e) {
                // A retry that fails must not hide the pages already added: report them.
                now = readCounterOr(path, now);
                break;
            }
        }
        long granted = Math.min(count, Math.max(0, now - before));
        Change net = new Change(path, Long.toString(before), Long.toString(now));
        return new HugePageReservation(pool, count, granted, net, writes, rounds, compacted);
    }

    /**
     * Like {@link #reserve(HugePagePool, long, Duration)}, but all or nothing: when the kernel
     * falls short, the pages it did add are given back and a {@link HugePageShortfallException}
     * says how many were missing and what to do.
     */
    public HugePageReservation reserveOrThrow(HugePagePool pool, long count, Duration timeout) {
        HugePageReservation reservation = reserve(pool, count, timeout);
        if (reservation.isComplete()) {
            return reservation;
        }
        HugePageRelease rollback = null;
        RuntimeException rollbackFailure = null;
        try {
            rollback = release(pool, reservation.granted());
        } catch (RuntimeException e) {
            rollbackFailure = e;
        }
        HugePageShortfallException shortfall = new HugePageShortfallException(
                shortfallMessage(reservation, rollback, rollbackFailure), reservation, rollback);
        if (rollbackFailure != null) {
            shortfall.addSuppressed(rollbackFailure);
        }
        throw shortfall;
    }

    /**
     * Gives back up to {@code count} pages of {@code pool}: lowers {@code nr_hugepages} by
     * {@code count}, but only by as many pages as are free and not reserved ({@code free -
     * resv} host-wide, and no more than the node's free pages for a node pool). Pages in use
     * or promised to a running program are never taken, even if the caller asks: they may
     * belong to another VM. The result says how many pages really went.
     *
     * @param count pages to give back, at least 0 (normally what {@link #reserve} granted)
     * @throws HugePagesUnsupportedException if the kernel does not offer the pool
     */
    public HugePageRelease release(HugePagePool pool, long count) {
        Objects.requireNonNull(pool, "pool");
        if (count < 0) {
            throw new IllegalArgumentException("cannot release " + count + " hugepages: the count must not be negative");
        }
        HugePageCounters global = counters(pool.size());
        long unclaimed = global.unclaimed();
        if (pool.node().isPresent()) {
            unclaimed = Math.min(unclaimed, nodeCounters(pool.size(), pool.node().getAsInt()).freeHugepages());
        }
        String path = pool.nrHugepagesPath();
        long before = readCounter(path);
        long take = Math.min(count, Math.min(unclaimed, before));
        if (take == 0) {
            String value = Long.toString(before);
            return new HugePageRelease(pool, count, 0, new Change(path, value, value), List.of());
        }
        Change write = host.write(path, Long.toString(before - take));
        long after = readCounter(path);
        long released = Math.min(take, Math.max(0, before - after));
        return new HugePageRelease(pool, count, released, new Change(path, Long.toString(before), Long.toString(after)), List.of(write));
    }

    /** Drops caches and compacts memory where the kernel allows; returns true if compaction ran. */
    private boolean reclaim() {
        try {
            if (dropCaches.isSupported()) {
                dropCaches.dropCaches();
            }
        } catch (HostAccessException e) {
            // Dropping caches only helps compaction; without it, compaction may still succeed.
        }
        try {
            if (compactMemory.isSupported()) {
                compactMemory.compactMemory();
                return true;
            }
        } catch (HostAccessException e) {
            // The retry below still runs: the kernel may find pages freed meanwhile.
        }
        return false;
    }

    private String shortfallMessage(HugePageReservation r, HugePageRelease rollback, RuntimeException rollbackFailure) {
        HugePagePool pool = r.pool();
        StringBuilder msg = new StringBuilder("hugepages: need ").append(r.requested()).append(" x ").append(pool.size())
                .append(" pages");
        pool.node().ifPresent(n -> msg.append(" on node ").append(n));
        msg.append(", kernel reserved ").append(r.granted());
        if (r.compacted()) {
            msg.append(" after compaction");
        } else {
            msg.append(" (memory compaction not available)");
        }
        long total = Long.parseLong(r.change().before()) + r.requested();
        String pages = pool.node().isPresent() ? pool.node().getAsInt() + ":" + total : Long.toString(total);
        msg.append("; close programs or reserve at boot (hugepagesz=").append(pool.size().bootParameter())
                .append(" hugepages=").append(pages).append(" on the kernel command line)");
        if (rollbackFailure != null) {
            msg.append("; giving back the ").append(r.granted()).append(" pages added failed: ").append(rollbackFailure.getMessage());
        } else if (rollback != null && !rollback.isComplete()) {
            msg.append("; only ").append(rollback.released()).append(" of the ").append(r.granted())
                    .append(" pages added could be given back");
        }
        return msg.toString();
    }

    private void requireSupported(HugePagePool pool) {
        if (!isSupported()) {
            throw new HugePagesUnsupportedException(HugePagePool.SIZES_DIR, "hugepages: the kernel has no hugepage support (no "
                    + HugePagePool.SIZES_DIR + "; it needs CONFIG_HUGETLBFS)");
        }
        String sizeDir = HugePagePool.global(pool.size()).directory();
        if (!host.isDirectory(sizeDir)) {
            throw new HugePagesUnsupportedException(sizeDir, "hugepages: the kernel offers no " + pool.size() + " pages (no "
                    + sizeDir + "); it offers: " + describe(supportedSizes()));
        }
        if (pool.node().isPresent()) {
            int node = pool.node().getAsInt();
            String nodeDir = HugePagePool.nodeDirectory(node);
            if (!host.isDirectory(nodeDir)) {
                List<Integer> nodes = nodes();
                throw new HugePagesUnsupportedException(nodeDir, "hugepages: there is no NUMA node " + node + " (no " + nodeDir
                        + "); nodes: " + (nodes.isEmpty() ? "none (kernel without NUMA support)" : nodes.stream()
                        .map(String::valueOf).collect(Collectors.joining(", "))));
            }
            if (!host.isDirectory(pool.directory())) {
                throw new HugePagesUnsupportedException(pool.directory(), "hugepages: NUMA node " + node + " has no pool of "
                        + pool.size() + " pages (no " + pool.directory() + ")");
            }
        }
    }

    private static String describe(List<HugePageSize> sizes) {
        return sizes.isEmpty() ? "none" : sizes.stream().map(HugePageSize::toString).collect(Collectors.joining(", "));
    }

    /** The counter's new value: the old one plus {@code count} (a class, not a lambda: every prepare runs it). */
    private static final class AddPages implements java.util.function.UnaryOperator<String> {
        private final String path;
        private final long count;

        AddPages(String path, long count) {
            this.path = path;
            this.count = count;
        }

        @Override
        public String apply(String old) {
            return Long.toString(Math.addExact(counter(path, old), count));
        }
    }

    private static long counter(String path, String text) {
        try {
            long value = Long.parseLong(text.strip());
            if (value < 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new HostAccessException(path, path + ": expected a page count, found '" + text.strip() + "'");
        }
    }

    private long readCounter(String path) {
        long value = host.readLong(path);
        if (value < 0) {
            throw new HostAccessException(path, path + ": expected a page count, found " + value);
        }
        return value;
    }

    private long readCounterOr(String path, long fallback) {
        try {
            return readCounter(path);
        } catch (HostAccessException e) {
            return fallback;
        }
    }
}
