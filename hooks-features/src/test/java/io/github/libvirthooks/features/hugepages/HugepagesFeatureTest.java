package io.github.libvirthooks.features.hugepages;

import static io.github.libvirthooks.sysfs.hugetlb.HugePageSize.ONE_GIB;
import static io.github.libvirthooks.sysfs.hugetlb.HugePageSize.TWO_MIB;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.engine.FeaturePlan;
import io.github.libvirthooks.features.engine.HookRequest;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.testkit.SimulatedHugePages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hugepages feature on fake hosts with 2 NUMA nodes and 2 MiB and 1 GiB pages. */
class HugepagesFeatureTest {
    private static final String MEMINFO = "MemTotal: 67108864 kB\nMemFree: 60000000 kB\nMemAvailable: 60000000 kB\n"
            + "HugePages_Total: 0\nHugePages_Free: 0\nHugePages_Rsvd: 0\nHugePages_Surp: 0\nHugepagesize: %d kB\n";

    @TempDir
    Path tmp;
    SimulatedHugePages kernel;
    StateDirectory state;
    List<String> lines = new ArrayList<>();

    @BeforeEach
    void host() {
        kernel = new SimulatedHugePages(tmp.resolve("host"), 2, TWO_MIB, ONE_GIB);
        kernel.write("/proc/meminfo", String.format(MEMINFO, 1048576));
        state = new StateDirectory(tmp.resolve("state"));
    }

    @Test
    void aBareHugepagesElementReservesTheHostsDefaultSize() {
        Domain vm = vm("<memory unit='GiB'>4</memory><memoryBacking><hugepages/></memoryBacking>");
        run(vm, "prepare", "begin");
        assertThat(kernel.total(ONE_GIB)).isEqualTo(4);
        assertThat(kernel.total(TWO_MIB)).isZero();
        run(vm, "release", "end");
        assertThat(kernel.total(ONE_GIB)).isZero();
    }

    @Test
    void twoCellsWithDifferentPageSizesOnTwoNodesGetTheirOwnPoolsAndGiveThemBackExactly() {
        kernel.pages(TWO_MIB, 1, 10);
        Domain vm = vm("<memory unit='MiB'>3072</memory><memoryBacking><hugepages>"
                + "<page size='2' unit='MiB' nodeset='0'/><page size='1' unit='GiB' nodeset='1'/></hugepages></memoryBacking>"
                + "<numatune><memnode cellid='0' mode='strict' nodeset='1'/><memnode cellid='1' mode='strict' nodeset='0'/></numatune>"
                + "<cpu><numa><cell id='0' cpus='0' memory='1024' unit='MiB'/><cell id='1' cpus='1' memory='2048' unit='MiB'/></numa></cpu>");

        run(vm, "prepare", "begin");
        assertThat(kernel.nr(TWO_MIB, 1)).as("512 needed, 10 were there and free").isEqualTo(512);
        assertThat(kernel.nr(ONE_GIB, 0)).isEqualTo(2);
        assertThat(kernel.nr(TWO_MIB, 0)).isZero();
        assertThat(kernel.nr(ONE_GIB, 1)).isZero();

        run(vm, "release", "end");
        assertThat(kernel.nr(TWO_MIB, 1)).isEqualTo(10);
        assertThat(kernel.nr(ONE_GIB, 0)).isZero();
        assertThat(state.fileFor("vm")).doesNotExist();
    }

    @Test
    void theSystemPageSizeReservesNothing() {
        Domain vm = vm("<memory unit='GiB'>1</memory><memoryBacking><hugepages><page size='4' unit='KiB'/></hugepages></memoryBacking>");
        run(vm, "prepare", "begin");
        assertThat(kernel.seen()).isEmpty();
        assertThat(lines).anyMatch(l -> l.startsWith("skip   hugepages: libvirt maps all of vm's memory from regular pages"));
        assertThat(plan(vm).effects()).containsEntry("pools", List.of());
        assertThat(plan(vm).notes()).anyMatch(l -> l.startsWith("skip   hugepages: libvirt maps all of vm's memory from regular pages"));
    }

    @Test
    void planNamesEveryPoolAndWhereItsSizeComesFrom() {
        Domain vm = vm("<memory unit='KiB'>3145727</memory><memoryBacking><hugepages/></memoryBacking>"
                + "<numatune><memory mode='strict' nodeset='1'/></numatune>"
                + "<cpu><numa><cell id='0' cpus='0-1' memory='1' unit='GiB'/></numa></cpu><devices><memory model='dimm'>"
                + "<source><pagesize unit='KiB'>2048</pagesize></source><target><size unit='GiB'>1</size><node>0</node></target>"
                + "</memory></devices>");
        FeaturePlan plan = plan(vm);
        assertThat(plan.refused()).isEmpty();
        assertThat(plan.effects().get("pools")).isEqualTo(List.of(pool(1048576, 1, 1), pool(2048, 1, 512)));
        assertThat(plan.notes()).anyMatch(l -> l.startsWith("info   hugepages: page size 1 GiB: the host's default hugepage size"))
                .anyMatch(l -> l.startsWith("info   hugepages: sized from the NUMA cells and DIMMs (2048 MiB), not <memory> (3071 MiB)"));
    }

    @Test
    void planWarnsOfAHostNodeThisHostLacks() {
        Domain vm = vm("<memory unit='GiB'>1</memory><memoryBacking><hugepages/></memoryBacking>"
                + "<numatune><memory mode='strict' nodeset='3'/></numatune>");
        assertThat(plan(vm).refused()).get().asString().contains("node 3");
        Domain onNode1 = vm("<memory unit='GiB'>1</memory><memoryBacking><hugepages/></memoryBacking>"
                + "<numatune><memory mode='strict' nodeset='1'/></numatune>");
        assertThat(plan(onNode1).refused()).isEmpty();
    }

    private FeaturePlan plan(Domain vm) {
        HookEngine engine = new HookEngine(kernel.host(), CommandRunner.system(), state, List.of(new HugepagesFeature()),
                Duration.ofSeconds(5), Clock.systemUTC());
        return engine.plan(HookRequest.of(HookInvocation.parse(List.of("qemu", "vm", "prepare", "begin", "-")), vm),
                Map.of("hugepages", Map.of("timeout", "0s"))).get(0);
    }

    private static Map<String, Object> pool(long sizeKiB, Integer node, long pages) {
        Map<String, Object> pool = new java.util.LinkedHashMap<>();
        pool.put("sizeKiB", sizeKiB);
        pool.put("node", node);
        pool.put("pages", pages);
        return pool;
    }

    private void run(Domain vm, String op, String sub) {
        HookEngine engine = new HookEngine(kernel.host(), CommandRunner.system(), state, FeatureCatalog.builtInOnly().all(), Duration.ofSeconds(5),
                Clock.systemUTC());
        engine.run(HookInvocation.parse(List.of("qemu", "vm", op, sub, "-")), vm, vm.hooksConfig(), lines::add);
    }

    private static Domain vm(String body) {
        String xml = "<domain type='kvm'><name>vm</name><vcpu>2</vcpu>" + body
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'><hugepages timeout='0s'/></hooks></metadata></domain>";
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }
}
