package io.github.libvirthooks.features.hugepages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.hugetlb.HugePagePool;
import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestMemoryBackingTest {
    private static final HugePageSize M2 = HugePageSize.TWO_MIB;
    private static final HugePageSize G1 = HugePageSize.ONE_GIB;
    private static final Optional<HugePageSize> NO_OPTION = Optional.empty();

    @Test
    void aBareHugepagesElementUsesTheHostsDefaultSize() {
        Domain vm = vm("<memory unit='GiB'>16</memory><memoryBacking><hugepages/></memoryBacking>");
        assertThat(pools(vm, NO_OPTION, G1)).containsExactly(need(HugePagePool.global(G1), 16));
        assertThat(pools(vm, NO_OPTION, M2)).containsExactly(need(HugePagePool.global(M2), 8192));
        assertThat(GuestMemoryBacking.of(vm, NO_OPTION, Optional.of(G1)).notes())
                .anyMatch(n -> n.contains("the host's default hugepage size (/proc/meminfo Hugepagesize)"));
    }

    @Test
    void theSizeOptionWinsOverTheHostDefaultButNotOverThePagesOfTheXml() {
        Domain bare = vm("<memory unit='GiB'>4</memory><memoryBacking><hugepages/></memoryBacking>");
        assertThat(pools(bare, Optional.of(M2), G1)).containsExactly(need(HugePagePool.global(M2), 2048));
        Domain sized = vm("<memory unit='GiB'>4</memory><memoryBacking><hugepages><page size='1' unit='GiB'/></hugepages>"
                + "</memoryBacking>");
        assertThat(pools(sized, Optional.of(M2), M2)).containsExactly(need(HugePagePool.global(G1), 4));
    }

    @Test
    void withoutAHostDefaultTwoMebibytesAreAssumedAndSaid() {
        Domain vm = vm("<memory unit='MiB'>64</memory><memoryBacking><hugepages/></memoryBacking>");
        GuestMemoryBacking backing = GuestMemoryBacking.of(vm, NO_OPTION, Optional.empty());
        assertThat(backing.pools()).extracting(GuestMemoryBacking.PoolNeed::pages).containsExactly(32L);
        assertThat(backing.notes()).anyMatch(n -> n.contains("reports no default hugepage size"));
    }

    @Test
    void theSystemPageSizeMeansRegularMemory() {
        Domain vm = vm("<memory unit='GiB'>1</memory><memoryBacking><hugepages><page size='4' unit='KiB'/></hugepages>"
                + "</memoryBacking>");
        GuestMemoryBacking backing = GuestMemoryBacking.of(vm, NO_OPTION, Optional.of(M2));
        assertThat(backing.pools()).isEmpty();
        assertThat(backing.notes()).anyMatch(n -> n.startsWith("the memory (1024 MiB) is regular memory"));
    }

    @Test
    void aPageWithANodesetCoversTheImplicitCellZeroOfAVmWithoutCells() {
        Domain vm = vm("<memory unit='GiB'>1</memory><memoryBacking><hugepages><page size='2048' unit='KiB' nodeset='0'/>"
                + "</hugepages></memoryBacking>");
        assertThat(pools(vm, NO_OPTION, G1)).containsExactly(need(HugePagePool.global(M2), 512));
    }

    @Test
    void eachCellGetsThePageOfItsNodesetElseThePageWithoutOneElseRegularMemory() {
        Domain vm = vm("<memory unit='GiB'>4</memory><memoryBacking><hugepages>"
                + "<page size='2048' unit='KiB' nodeset='1'/><page size='1048576' unit='KiB' nodeset='0,2-3,^3'/>"
                + "</hugepages></memoryBacking>" + cells(1024, 1024, 1024, 1024));
        GuestMemoryBacking backing = GuestMemoryBacking.of(vm, NO_OPTION, Optional.of(M2));
        assertThat(backing.pools()).containsExactly(
                new GuestMemoryBacking.PoolNeed(HugePagePool.global(G1), 2, 2L << 30, List.of("cell 0", "cell 2")),
                new GuestMemoryBacking.PoolNeed(HugePagePool.global(M2), 512, 1L << 30, List.of("cell 1")));
        assertThat(backing.notes()).anyMatch(n -> n.startsWith("cell 3 (1024 MiB) is regular memory"));

        Domain fallback = vm("<memory unit='GiB'>2</memory><memoryBacking><hugepages><page size='1' unit='GiB' nodeset='1'/>"
                + "<page size='2' unit='MiB'/></hugepages></memoryBacking>" + cells(1024, 1024));
        assertThat(pools(fallback, NO_OPTION, M2)).containsExactly(need(HugePagePool.global(M2), 512),
                need(HugePagePool.global(G1), 1));
    }

    @Test
    void eachCellIsRoundedUpToWholePagesOfItsOwn() {
        Domain vm = vm("<memory unit='MiB'>1024</memory><memoryBacking><hugepages><page size='1' unit='GiB' nodeset='1'/>"
                + "</hugepages></memoryBacking>" + cells(256, 768));
        assertThat(pools(vm, NO_OPTION, M2)).containsExactly(need(HugePagePool.global(G1), 1));
    }

    @Test
    void withCellsTheCellsAndDimmsAreTheMemoryNotAnUnnormalizedMemoryElement() {
        Domain vm = vm("<memory unit='KiB'>1572863</memory><memoryBacking><hugepages/></memoryBacking>" + cells(1024));
        GuestMemoryBacking backing = GuestMemoryBacking.of(vm, NO_OPTION, Optional.of(M2));
        assertThat(backing.pools()).containsExactly(
                new GuestMemoryBacking.PoolNeed(HugePagePool.global(M2), 512, 1L << 30, List.of("cell 0")));
        assertThat(backing.notes()).anyMatch(n -> n.startsWith("sized from the NUMA cells and DIMMs (1024 MiB), not <memory> (1535 MiB)"));
    }

    @Test
    void aDimmUsesItsOwnPageSizeAndNodemaskElseItsCells() {
        Domain vm = vm("<memory unit='GiB'>3</memory><memoryBacking><hugepages/></memoryBacking>"
                + "<numatune><memnode cellid='0' mode='strict' nodeset='1'/></numatune>" + cells(1024)
                + "<devices><memory model='dimm'><source><pagesize unit='GiB'>1</pagesize><nodemask>0</nodemask></source>"
                + "<target><size unit='GiB'>1</size><node>0</node></target></memory>"
                + "<memory model='dimm'><target><size unit='MiB'>1024</size><node>0</node></target></memory></devices>");
        assertThat(pools(vm, NO_OPTION, M2)).containsExactly(need(HugePagePool.onNode(M2, 1), 1024),
                need(HugePagePool.onNode(G1, 0), 1));
    }

    @Test
    void theHostNodeIsTheCellsMemnodeElseTheVmsNodesetWhenItNamesOneNode() {
        String backing = "<memory unit='GiB'>2</memory><memoryBacking><hugepages/></memoryBacking>";
        Domain one = vm(backing + "<numatune><memory mode='strict' nodeset='0-1,^0'/></numatune>");
        assertThat(pools(one, NO_OPTION, M2)).containsExactly(need(HugePagePool.onNode(M2, 1), 1024));
        Domain several = vm(backing + "<numatune><memory mode='strict' nodeset='0-1'/></numatune>");
        assertThat(pools(several, NO_OPTION, M2)).containsExactly(need(HugePagePool.global(M2), 1024));
        Domain perCell = vm(backing + "<numatune><memory mode='strict' nodeset='0'/><memnode cellid='1' mode='strict' nodeset='1'/>"
                + "<memnode cellid='2' mode='strict' nodeset='0-1'/></numatune>" + cells(512, 1024, 512));
        assertThat(pools(perCell, NO_OPTION, M2)).containsExactly(need(HugePagePool.onNode(M2, 0), 256),
                need(HugePagePool.onNode(M2, 1), 512), need(HugePagePool.global(M2), 256));
        Domain numad = vm(backing + "<numatune><memory mode='strict' placement='auto'/></numatune>");
        assertThat(pools(numad, NO_OPTION, M2)).containsExactly(need(HugePagePool.global(M2), 1024));
    }

    @Test
    void aVmWithoutMemoryIsRefused() {
        Domain vm = vm("<memoryBacking><hugepages/></memoryBacking>");
        assertThatThrownBy(() -> GuestMemoryBacking.of(vm, NO_OPTION, Optional.of(M2))).isInstanceOf(FeatureException.class)
                .hasMessageContaining("no <memory>");
    }

    @Test
    void theHostDefaultIsHugepagesizeOfMeminfoBelowTheHostRoot(@TempDir Path root) throws IOException {
        HostRoot host = HostRoot.at(root);
        assertThat(GuestMemoryBacking.hostDefault(host)).isEmpty();
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/meminfo"), "MemTotal: 16000000 kB\nMemFree: 8000000 kB\nMemAvailable: 9000000 kB\n"
                + "HugePages_Total: 0\nHugePages_Free: 0\nHugePages_Rsvd: 0\nHugePages_Surp: 0\nHugepagesize: 1048576 kB\n");
        assertThat(GuestMemoryBacking.hostDefault(host)).contains(G1);
        Files.writeString(root.resolve("proc/meminfo"), "garbage");
        assertThat(GuestMemoryBacking.hostDefault(host)).isEmpty();
    }

    private static List<Need> pools(Domain vm, Optional<HugePageSize> option, HugePageSize hostDefault) {
        return GuestMemoryBacking.of(vm, option, Optional.of(hostDefault)).pools().stream()
                .map(p -> new Need(p.pool(), p.pages())).toList();
    }

    private static Need need(HugePagePool pool, long pages) {
        return new Need(pool, pages);
    }

    private record Need(HugePagePool pool, long pages) {
    }

    private static String cells(int... mib) {
        StringBuilder out = new StringBuilder("<cpu><numa>");
        for (int i = 0; i < mib.length; i++) {
            out.append("<cell id='").append(i).append("' cpus='").append(i).append("' memory='").append(mib[i]).append("' unit='MiB'/>");
        }
        return out.append("</numa></cpu>").toString();
    }

    private static Domain vm(String body) {
        String xml = "<domain type='kvm'><name>vm</name><vcpu>4</vcpu>" + body + "</domain>";
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }
}
