package io.github.libvirthooks.deployment.bench;

import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.hugetlb.HugePagePool;
import io.github.libvirthooks.sysfs.hugetlb.HugePageReservation;
import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;
import io.github.libvirthooks.sysfs.hugetlb.HugePages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Benchmark target 3 (issue 10), on the real host: the time of {@link HugePages#reserve} for
 * N pages against a raw write of {@code nr_hugepages} for the same count, in interleaved
 * pairs in one JVM, each pair starting from the same pool; then, after filling the page cache,
 * how many pages each one gets. Every page taken is given back. Run as root by
 * {@code deployment/bench/hook-bench.sh}.
 */
public final class ReservationBench {
    private static final String NR = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages";

    private ReservationBench() {
    }

    public static void main(String[] args) {
        int pages = Integer.parseInt(args[0]);
        int pairs = Integer.parseInt(args[1]);
        HostRoot host = HostRoot.system();
        HugePages hugePages = new HugePages(host);
        HugePagePool pool = HugePagePool.global(HugePageSize.TWO_MIB);
        long start = hugePages.nrHugepages(pool);
        if (args.length > 2 && args[2].equals("--fragmented")) {
            fragmented(host, hugePages, pool, start, pages,
                    args.length > 3 ? java.util.Optional.of(java.nio.file.Path.of(args[3])) : java.util.Optional.empty());
            return;
        }
        List<Double> ratios = new ArrayList<>();
        List<Long> ours = new ArrayList<>();
        List<Long> raw = new ArrayList<>();
        for (int i = -3; i < pairs; i++) {
            // Alternate which goes first: the first allocation after pages were freed is not like the second.
            long oursNs;
            long rawNs;
            HugePageReservation r;
            if ((i & 1) == 0) {
                long t0 = System.nanoTime();
                r = hugePages.reserve(pool, pages, Duration.ofSeconds(10));
                oursNs = System.nanoTime() - t0;
                host.write(NR, Long.toString(start));
                rawNs = rawWrite(host, start + pages);
                host.write(NR, Long.toString(start));
            } else {
                rawNs = rawWrite(host, start + pages);
                host.write(NR, Long.toString(start));
                long t0 = System.nanoTime();
                r = hugePages.reserve(pool, pages, Duration.ofSeconds(10));
                oursNs = System.nanoTime() - t0;
                host.write(NR, Long.toString(start));
            }
            if (i >= 0) {
                ours.add(oursNs);
                raw.add(rawNs);
                ratios.add((double) oursNs / rawNs);
            }
            if (r.granted() != pages) {
                System.out.println("note: the kernel granted " + r.granted() + " of " + pages);
            }
        }
        System.out.printf("reserve %d pages: ours median %.2f ms, raw write median %.2f ms, median pair ratio %.3f (%d pairs)%n",
                pages, median(ours) / 1e6, median(raw) / 1e6, medianD(ratios), pairs);
    }

    /**
     * The caller filled memory: a raw write gets what the kernel finds at once; {@code reserve}
     * drops caches, compacts and retries until its deadline. With {@code heldFile}, memory held
     * in tmpfs (not reclaimable) is freed a moment after the raw attempt, as when another
     * program or VM exits while the hook waits.
     */
    private static void fragmented(HostRoot host, HugePages hugePages, HugePagePool pool, long start, int pages,
            java.util.Optional<java.nio.file.Path> heldFile) {
        host.write(NR, Long.toString(start + pages));
        long rawGot = hugePages.nrHugepages(pool) - start;
        host.write(NR, Long.toString(start));
        heldFile.ifPresent(file -> new Thread(() -> {
            try {
                Thread.sleep(2000);
                java.nio.file.Files.deleteIfExists(file);
            } catch (Exception e) {
                System.out.println("note: could not free " + file + ": " + e.getMessage());
            }
        }).start());
        HugePageReservation r = hugePages.reserve(pool, pages, Duration.ofSeconds(20));
        host.write(NR, Long.toString(start));
        System.out.printf("%s: asked %d pages, raw write got %d, reserve got %d after %d reclaim round(s)%n",
                heldFile.isPresent() ? "memory held, freed 2 s later" : "page cache filled", pages, rawGot, r.granted(),
                r.reclaimRounds());
    }

    /** The raw write a bash snippet does ({@code echo N > nr_hugepages}), timed. */
    private static long rawWrite(HostRoot host, long target) {
        long t0 = System.nanoTime();
        host.write(NR, Long.toString(target));
        return System.nanoTime() - t0;
    }

    private static double median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }

    private static double medianD(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }
}
