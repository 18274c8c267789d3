package io.github.libvirthooks.sysfs.hugetlb;

import io.github.libvirthooks.sysfs.HostRoot;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Against this machine's kernel. The read-only tests run everywhere; the reservation runs
 * only as root on a host with 2 MiB pages, and puts {@code nr_hugepages} back exactly.
 */
class HugePagesHostTest {
    private final HugePages hugePages = new HugePages(HostRoot.system());

    @Test
    void supportedSizesOfThisHost() {
        assumeTrue(Files.isDirectory(Path.of("/sys/kernel/mm/hugepages")), "kernel without hugepages");

        assertThat(hugePages.supportedSizes()).isNotEmpty().isSorted();
        for (HugePageSize size : hugePages.supportedSizes()) {
            assertThat(hugePages.counters(size).nrHugepages()).isNotNegative();
        }
    }

    @Test
    void reserveAndReleaseSixteenRealPagesLeavesThePoolAsFound() throws Exception {
        assumeTrue(isRoot(), "needs root");
        assumeTrue(Files.isDirectory(Path.of("/sys/kernel/mm/hugepages/hugepages-2048kB")), "no 2 MiB pages");
        HugePagePool pool = HugePagePool.global(HugePageSize.TWO_MIB);
        long found = hugePages.nrHugepages(pool);

        HugePageReservation reservation = hugePages.reserve(pool, 16, Duration.ofSeconds(5));
        try {
            assertThat(hugePages.nrHugepages(pool)).isEqualTo(found + reservation.granted());
            assertThat(reservation.change().before()).isEqualTo(Long.toString(found));
        } finally {
            HugePageRelease release = hugePages.release(pool, reservation.granted());
            assertThat(release.released()).isEqualTo(reservation.granted());
        }
        assertThat(hugePages.nrHugepages(pool)).isEqualTo(found);
    }

    private static boolean isRoot() throws Exception {
        return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    }
}
