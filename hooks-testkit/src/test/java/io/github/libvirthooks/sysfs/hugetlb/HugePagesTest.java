package io.github.libvirthooks.sysfs.hugetlb;

import io.github.libvirthooks.testkit.FakeClock;
import io.github.libvirthooks.testkit.SimulatedHugePages;
import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.OptionalInt;

import static io.github.libvirthooks.sysfs.hugetlb.HugePageSize.ONE_GIB;
import static io.github.libvirthooks.sysfs.hugetlb.HugePageSize.TWO_MIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HugePagesTest {
    private static final String GLOBAL_2M = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages";
    private static final String NODE0_2M = "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages";
    private static final String NODE1_2M = "/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages";

    @TempDir
    Path root;

    private final FakeClock time = new FakeClock();

    private HugePages hugePages(SimulatedHugePages kernel) {
        return new HugePages(kernel.host(), time, time);
    }

    @Test
    void supportedSizesListsSizeDirectoriesSmallestFirst() throws Exception {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, ONE_GIB, TWO_MIB);
        Files.createDirectories(root.resolve("sys/kernel/mm/hugepages/unrelated"));

        assertThat(hugePages(kernel).supportedSizes()).containsExactly(TWO_MIB, ONE_GIB);
    }

    @Test
    void supportedSizesIsEmptyOnAKernelWithoutHugepages() {
        HugePages hugePages = new HugePages(HostRoot.at(root), time, time);

        assertThat(hugePages.isSupported()).isFalse();
        assertThat(hugePages.supportedSizes()).isEmpty();
        assertThatThrownBy(() -> hugePages.counters(TWO_MIB))
                .isInstanceOf(HugePagesUnsupportedException.class)
                .hasMessage("hugepages: the kernel has no hugepage support (no /sys/kernel/mm/hugepages; it needs CONFIG_HUGETLBFS)");
    }

    @Test
    void malformedSizeDirectoryIsNamed() throws Exception {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB);
        Files.createDirectories(root.resolve("sys/kernel/mm/hugepages/hugepages-2MB"));

        assertThatThrownBy(() -> hugePages(kernel).supportedSizes())
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("'hugepages-2MB'");
    }

    @Test
    void nodesAreListedInNumericOrder() throws Exception {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 2, TWO_MIB);
        Files.createDirectories(root.resolve("sys/devices/system/node/node10"));

        assertThat(hugePages(kernel).nodes()).containsExactly(0, 1, 10);
    }

    @Test
    void countersReadEveryGlobalFile() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB)
                .pages(TWO_MIB, 0, 10).inUse(TWO_MIB, 0, 4).reserved(TWO_MIB, 2);
        kernel.write("/sys/kernel/mm/hugepages/hugepages-2048kB/surplus_hugepages", "1\n");
        kernel.write("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_overcommit_hugepages", "8\n");

        HugePageCounters counters = hugePages(kernel).counters(TWO_MIB);

        assertThat(counters).isEqualTo(new HugePageCounters(10, 6, 2, 1, 8));
        assertThat(counters.unclaimed()).isEqualTo(4);
        assertThat(counters.inUse()).isEqualTo(5);
    }

    @Test
    void nodeCountersReadTheNodesOwnFiles() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 2, TWO_MIB)
                .pages(TWO_MIB, 0, 3).pages(TWO_MIB, 1, 7).inUse(TWO_MIB, 1, 2);

        HugePages hugePages = hugePages(kernel);

        assertThat(hugePages.nodeCounters(TWO_MIB, 1)).isEqualTo(new NodeHugePageCounters(1, 7, 5, 0));
        assertThat(hugePages.nodeCounters(TWO_MIB, 0)).isEqualTo(new NodeHugePageCounters(0, 3, 3, 0));
        assertThat(HugePagePool.onNode(TWO_MIB, 1).nrHugepagesPath()).isEqualTo(NODE1_2M);
    }

    @Test
    void malformedCounterFileIsNamedWithItsContent() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB);
        kernel.write("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "lots\n");

        assertThatThrownBy(() -> hugePages(kernel).counters(TWO_MIB))
                .isInstanceOf(HostAccessException.class)
                .hasMessage("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages: expected a number, found 'lots'");
    }

    @Test
    void negativeCounterIsRejected() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB);
        kernel.write(GLOBAL_2M, "-3\n");

        assertThatThrownBy(() -> hugePages(kernel).nrHugepages(HugePagePool.global(TWO_MIB)))
                .isInstanceOf(HostAccessException.class)
                .hasMessage(GLOBAL_2M + ": expected a page count, found -3");
    }

    @Test
    void missingCounterFileIsReported() throws Exception {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB);
        Files.delete(root.resolve("sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages"));

        assertThatThrownBy(() -> hugePages(kernel).counters(TWO_MIB))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("resv_hugepages")
                .hasMessageContaining("no such file");
    }

    @Test
    void missingPageSizeSaysWhatTheKernelOffers() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB);

        assertThatThrownBy(() -> hugePages(kernel).reserve(HugePagePool.global(ONE_GIB), 1, Duration.ZERO))
                .isInstanceOf(HugePagesUnsupportedException.class)
                .hasMessage("hugepages: the kernel offers no 1 GiB pages (no /sys/kernel/mm/hugepages/hugepages-1048576kB); it offers: 2 MiB");
    }

    @Test
    void missingNodeSaysWhichNodesExist() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 2, TWO_MIB);

        assertThatThrownBy(() -> hugePages(kernel).reserve(HugePagePool.onNode(TWO_MIB, 3), 1, Duration.ZERO))
                .isInstanceOf(HugePagesUnsupportedException.class)
                .hasMessage("hugepages: there is no NUMA node 3 (no /sys/devices/system/node/node3); nodes: 0, 1");
    }

    @Test
    void nodeWithoutThePoolIsReported() throws Exception {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB);
        Files.createDirectories(root.resolve("sys/devices/system/node/node1"));

        assertThatThrownBy(() -> hugePages(kernel).nodeCounters(TWO_MIB, 1))
                .isInstanceOf(HugePagesUnsupportedException.class)
                .hasMessage("hugepages: NUMA node 1 has no pool of 2 MiB pages (no /sys/devices/system/node/node1/hugepages/hugepages-2048kB)");
    }

    @Test
    void reserveAddsCountOnTopOfWhatIsThereWithExactChange() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB).pages(TWO_MIB, 0, 10);

        HugePageReservation r = hugePages(kernel).reserve(TWO_MIB, OptionalInt.empty(), 4, Duration.ofSeconds(5));

        assertThat(r.granted()).isEqualTo(4);
        assertThat(r.isComplete()).isTrue();
        assertThat(r.change()).isEqualTo(new Change(GLOBAL_2M, "10", "14"));
        assertThat(r.writes()).containsExactly(new Change(GLOBAL_2M, "10", "14"));
        assertThat(r.reclaimRounds()).isZero();
        assertThat(kernel.total(TWO_MIB)).isEqualTo(14);
        assertThat(kernel.compactions()).isZero();
        assertThat(time.sleeps()).isEmpty();
    }

    @Test
    void reserveOnANodeWritesTheNodesPool() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 2, TWO_MIB).pages(TWO_MIB, 1, 2);

        HugePageReservation r = hugePages(kernel).reserve(HugePagePool.onNode(TWO_MIB, 1), 6, Duration.ZERO);

        assertThat(r.writes()).containsExactly(new Change(NODE1_2M, "2", "8"));
        assertThat(kernel.nr(TWO_MIB, 1)).isEqualTo(8);
        assertThat(kernel.nr(TWO_MIB, 0)).isZero();
    }

    @Test
    void reserveOfZeroPagesWritesNothing() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB).pages(TWO_MIB, 0, 5);

        HugePageReservation r = hugePages(kernel).reserve(HugePagePool.global(TWO_MIB), 0, Duration.ZERO);

        assertThat(r.writes()).isEmpty();
        assertThat(r.change().isNoOp()).isTrue();
        assertThat(kernel.seen()).isEmpty();
    }

    @Test
    void shortfallIsMadeUpAfterDroppingCachesAndCompacting() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB)
                .limitAllocatable(TWO_MIB, 0, 3).onCompaction(TWO_MIB, 0, 5);

        HugePageReservation r = hugePages(kernel).reserve(HugePagePool.onNode(TWO_MIB, 0), 8, Duration.ofSeconds(5));

        assertThat(r.granted()).isEqualTo(8);
        assertThat(r.reclaimRounds()).isEqualTo(1);
        assertThat(r.compacted()).isTrue();
        assertThat(r.change()).isEqualTo(new Change(NODE0_2M, "0", "8"));
        assertThat(r.writes()).containsExactly(new Change(NODE0_2M, "0", "8"), new Change(NODE0_2M, "3", "8"));
        assertThat(kernel.seen()).containsExactly(
                new Change(NODE0_2M, "0", "8"),
                new Change("/proc/sys/vm/drop_caches", "", "3"),
                new Change("/proc/sys/vm/compact_memory", "", "1"),
                new Change(NODE0_2M, "3", "8"));
        assertThat(time.sleeps()).isEmpty();
    }

    @Test
    void shortfallAtTheDeadlineReturnsThePartialReservation() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB)
                .pages(TWO_MIB, 0, 10).limitAllocatable(TWO_MIB, 0, 2);

        HugePageReservation r = hugePages(kernel).reserve(HugePagePool.global(TWO_MIB), 8, Duration.ofSeconds(1));

        assertThat(r.isComplete()).isFalse();
        assertThat(r.granted()).isEqualTo(2);
        assertThat(r.shortfall()).isEqualTo(6);
        assertThat(r.change()).isEqualTo(new Change(GLOBAL_2M, "10", "12"));
        // One retry at once, then one every 200 ms until the second is up.
        assertThat(r.reclaimRounds()).isEqualTo(6);
        assertThat(time.sleeps()).isEqualTo(Collections.nCopies(5, Duration.ofMillis(200)));
        assertThat(kernel.compactions()).isEqualTo(6);
        assertThat(kernel.cacheDrops()).isEqualTo(6);
        assertThat(kernel.total(TWO_MIB)).isEqualTo(12);
    }

    @Test
    void lastWaitIsCutToTheDeadline() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB).limitAllocatable(TWO_MIB, 0, 0);

        hugePages(kernel).reserve(HugePagePool.global(TWO_MIB), 1, Duration.ofMillis(250));

        assertThat(time.sleeps()).containsExactly(Duration.ofMillis(200), Duration.ofMillis(50));
    }

    @Test
    void zeroTimeoutStillRetriesOnceAfterCompaction() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB)
                .limitAllocatable(TWO_MIB, 0, 1).onCompaction(TWO_MIB, 0, 1);

        HugePageReservation r = hugePages(kernel).reserve(HugePagePool.global(TWO_MIB), 2, Duration.ZERO);

        assertThat(r.granted()).isEqualTo(2);
        assertThat(r.reclaimRounds()).isEqualTo(1);
    }

    @Test
    void reserveOrThrowGivesBackWhatItAddedAndSaysWhatToDo() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 2, TWO_MIB)
                .pages(TWO_MIB, 0, 6).inUse(TWO_MIB, 0, 6)
                .limitAllocatable(TWO_MIB, 0, 200).onCompaction(TWO_MIB, 0, 101);

        assertThatThrownBy(() -> hugePages(kernel).reserveOrThrow(HugePagePool.onNode(TWO_MIB, 0), 512, Duration.ZERO))
                .isInstanceOfSatisfying(HugePageShortfallException.class, e -> {
                    assertThat(e).hasMessage("hugepages: need 512 x 2 MiB pages on node 0, kernel reserved 301 after compaction;"
                            + " close programs or reserve at boot (hugepagesz=2M hugepages=0:518 on the kernel command line)");
                    assertThat(e.reservation().granted()).isEqualTo(301);
                    assertThat(e.rollback()).get().satisfies(rollback -> {
                        assertThat(rollback.released()).isEqualTo(301);
                        assertThat(rollback.change()).isEqualTo(new Change(NODE0_2M, "307", "6"));
                    });
                });
        assertThat(kernel.nr(TWO_MIB, 0)).isEqualTo(6);
    }

    @Test
    void shortfallWithoutCompactionSaysSo() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB)
                .withoutCompaction().limitAllocatable(TWO_MIB, 0, 3);

        assertThatThrownBy(() -> hugePages(kernel).reserveOrThrow(HugePagePool.global(TWO_MIB), 4, Duration.ZERO))
                .isInstanceOf(HugePageShortfallException.class)
                .hasMessage("hugepages: need 4 x 2 MiB pages, kernel reserved 3 (memory compaction not available);"
                        + " close programs or reserve at boot (hugepagesz=2M hugepages=4 on the kernel command line)");
        assertThat(kernel.total(TWO_MIB)).isZero();
    }

    @Test
    void reserveOrThrowReturnsTheReservationWhenComplete() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, ONE_GIB);

        HugePageReservation r = hugePages(kernel).reserveOrThrow(HugePagePool.global(ONE_GIB), 2, Duration.ZERO);

        assertThat(r.change()).isEqualTo(new Change("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "0", "2"));
    }

    @Test
    void releaseGivesBackOnlyThePagesThisVmTook() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB).pages(TWO_MIB, 0, 4);
        HugePages hugePages = hugePages(kernel);
        HugePagePool pool = HugePagePool.global(TWO_MIB);
        HugePageReservation first = hugePages.reserve(pool, 8, Duration.ZERO);
        hugePages.reserve(pool, 16, Duration.ZERO);

        HugePageRelease release = hugePages.release(pool, first.granted());

        assertThat(release.released()).isEqualTo(8);
        assertThat(release.isComplete()).isTrue();
        assertThat(release.writes()).containsExactly(new Change(GLOBAL_2M, "28", "20"));
        assertThat(release.change()).isEqualTo(new Change(GLOBAL_2M, "28", "20"));
        assertThat(kernel.total(TWO_MIB)).isEqualTo(20);
    }

    @Test
    void releaseNeverTakesPagesInUseOrReserved() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB)
                .pages(TWO_MIB, 0, 10).inUse(TWO_MIB, 0, 6).reserved(TWO_MIB, 1);

        HugePageRelease release = hugePages(kernel).release(HugePagePool.global(TWO_MIB), 10);

        assertThat(release.requested()).isEqualTo(10);
        assertThat(release.released()).isEqualTo(3);
        assertThat(release.isComplete()).isFalse();
        assertThat(release.writes()).containsExactly(new Change(GLOBAL_2M, "10", "7"));
        assertThat(kernel.total(TWO_MIB)).isEqualTo(7);
    }

    @Test
    void releaseWithNothingUnclaimedWritesNothing() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB)
                .pages(TWO_MIB, 0, 4).inUse(TWO_MIB, 0, 2).reserved(TWO_MIB, 2);

        HugePageRelease release = hugePages(kernel).release(HugePagePool.global(TWO_MIB), 4);

        assertThat(release.released()).isZero();
        assertThat(release.writes()).isEmpty();
        assertThat(release.change()).isEqualTo(new Change(GLOBAL_2M, "4", "4"));
        assertThat(kernel.seen()).isEmpty();
    }

    @Test
    void releaseOnANodeTakesOnlyThatNodesFreePages() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 2, TWO_MIB)
                .pages(TWO_MIB, 0, 8).pages(TWO_MIB, 1, 8).inUse(TWO_MIB, 1, 5);

        HugePageRelease release = hugePages(kernel).release(HugePagePool.onNode(TWO_MIB, 1), 8);

        assertThat(release.released()).isEqualTo(3);
        assertThat(release.writes()).containsExactly(new Change(NODE1_2M, "8", "5"));
        assertThat(kernel.nr(TWO_MIB, 0)).isEqualTo(8);
    }

    @Test
    void negativeCountsAreRefused() {
        SimulatedHugePages kernel = new SimulatedHugePages(root, 1, TWO_MIB);
        HugePages hugePages = hugePages(kernel);

        assertThatThrownBy(() -> hugePages.reserve(HugePagePool.global(TWO_MIB), -1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must not be negative");
        assertThatThrownBy(() -> hugePages.release(HugePagePool.global(TWO_MIB), -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void poolNamesItselfForMessages() {
        assertThat(HugePagePool.onNode(TWO_MIB, 0)).hasToString("2 MiB pages on node 0");
        assertThat(HugePagePool.global(ONE_GIB)).hasToString("1 GiB pages");
        assertThatThrownBy(() -> HugePagePool.onNode(TWO_MIB, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
