package io.github.libvirthooks.features.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.config.ConfigLoader;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cgroup.CgroupMounts;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import io.github.libvirthooks.sysfs.cpu.CpuTopology;
import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;
import io.github.libvirthooks.sysfs.hugetlb.HugePages;
import io.github.libvirthooks.sysfs.irq.IrqAffinity;
import io.github.libvirthooks.sysfs.kernel.KernelCommandLine;
import io.github.libvirthooks.sysfs.kernel.KernelSysctl;
import io.github.libvirthooks.sysfs.kernel.Workqueue;
import io.github.libvirthooks.sysfs.memory.Meminfo;
import io.github.libvirthooks.sysfs.sched.ProcessThreads;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Issue 11, suite 4, generated: jqwik properties over VM names, domain XML mutated byte by
 * byte, CPU lists, configuration text and garbage in every {@code /sys} and {@code /proc} file
 * the features read. Same rules as {@link HostileCorpusTest}. Tries are fixed and seeded (a
 * normal build is deterministic); soak mode runs many variants of each try.
 */
class HostileInputProperties {
    private static final Hostile.Tally TOTAL = new Hostile.Tally();
    private static final AtomicInteger BOXES = new AtomicInteger();
    private static Path root;

    @BeforeContainer
    static void createRoot() throws IOException {
        root = Files.createTempDirectory("hostile-properties");
    }

    @AfterContainer
    static void figures() throws IOException {
        TOTAL.print("hostile-properties");
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    // --- VM names ------------------------------------------------------------------------------------

    @Provide
    Arbitrary<String> vmNames() {
        Arbitrary<String> any = Arbitraries.strings().all().ofMinLength(1).ofMaxLength(80);
        Arbitrary<String> fragments = Arbitraries.of("../", "..", "/", "-", "--", "$(", "`", ";", "|", "&", "%", "\\", "\n",
                "\u0000", " ", "*", "~", "${", "'", "\"", "<", ">", "🎮", "\u202e", "vm", ".journal", "lock")
                .list().ofMinSize(1).ofMaxSize(12).map(l -> String.join("", l));
        Arbitrary<String> long_ = Arbitraries.strings().withChars("abc/.-").ofMinLength(1000).ofMaxLength(1100);
        return Arbitraries.oneOf(any, fragments, long_);
    }

    @Property(tries = 30, seed = "11")
    void anyVmNameWorksOrIsRefusedAndLeavesNothingBehind(@ForAll("vmNames") String name) {
        Hostile.Tally tally = new Hostile.Tally();
        for (String variant : variants(name, n -> n + (char) ('a' + n.length() % 26))) {
            Hostile.Sandbox box = sandbox();
            TreeSnapshot before = TreeSnapshot.of(box.tree);
            String xml = Scenario.xml(Hostile.xmlText(variant), 64, true, "<vcpupin vcpu='0' cpuset='2'/>",
                    "<hugepages/><isolcpu backend='cgroup'/>");
            byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
            box.hook(tally, "name " + HostileCorpusTest.printable(variant), List.of("qemu", variant, "prepare", "begin", "-"), bytes);
            int release = box.hook(tally, "name release", List.of("qemu", variant, "release", "end", "-"), bytes);
            assertThat(release).isIn(0, 2);
            assertThat(TreeSnapshot.of(box.tree).diff(before)).isEmpty();
            assertThat(Lifecycle.journals(box.state.path())).isEmpty();
        }
        TOTAL.add(tally);
        assertThat(tally.problems).isEmpty();
    }

    // --- domain XML -----------------------------------------------------------------------------------

    @Provide
    Arbitrary<byte[]> mutatedXml() {
        byte[] valid = Scenario.xml("win10", 64, true, "<vcpupin vcpu='0' cpuset='2,6'/><emulatorpin cpuset='3'/>",
                "<hugepages size='2M' timeout='1s'/><isolcpu backend='cgroup' irq='true'/>").getBytes(StandardCharsets.UTF_8);
        Arbitrary<int[]> edit = Combinators.combine(Arbitraries.integers().between(0, valid.length - 1),
                Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, 255)).as((at, kind, b) -> new int[] {at, kind, b});
        return edit.list().ofMinSize(1).ofMaxSize(8).map(edits -> {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            byte[] now = valid;
            for (int[] e : edits) {
                int at = Math.min(e[0], now.length - 1);
                out.reset();
                out.write(now, 0, at);
                switch (e[1]) {
                    case 0 -> out.write(e[2]);
                    case 1 -> { }
                    default -> out.write(new byte[] {'<', '/', '>', '&', '\'', '0', '9', '-'}[e[2] % 8]);
                }
                out.write(now, e[1] == 0 ? at : at + 1, now.length - (e[1] == 0 ? at : at + 1));
                now = out.toByteArray();
            }
            return now;
        });
    }

    @Property(tries = 40, seed = "12")
    void anyMutatedDomainXmlWorksOrIsRefused(@ForAll("mutatedXml") byte[] xml) {
        Hostile.Tally tally = new Hostile.Tally();
        for (byte[] variant : variants(xml, b -> {
            byte[] copy = b.clone();
            copy[new Random(b.length).nextInt(copy.length)] ^= 0x20;
            return copy;
        })) {
            Hostile.Sandbox box = sandbox();
            TreeSnapshot before = TreeSnapshot.of(box.tree);
            box.hook(tally, "xml " + HostileCorpusTest.printable(new String(variant, StandardCharsets.ISO_8859_1)),
                    List.of("qemu", "win10", "prepare", "begin", "-"), variant);
            assertThat(box.hook(tally, "xml release", List.of("qemu", "win10", "release", "end", "-"), variant)).isZero();
            assertThat(TreeSnapshot.of(box.tree).diff(before)).isEmpty();
            assertThat(Lifecycle.journals(box.state.path())).isEmpty();
        }
        TOTAL.add(tally);
        assertThat(tally.problems).isEmpty();
    }

    // --- CPU lists ------------------------------------------------------------------------------------

    @Provide
    Arbitrary<String> cpuLists() {
        return Arbitraries.oneOf(
                Arbitraries.strings().withChars("0123456789-,: \n").ofMaxLength(30),
                Arbitraries.integers().between(-5, Integer.MAX_VALUE).list().ofMaxSize(4)
                        .map(l -> String.join(",", l.stream().map(String::valueOf).toList())),
                Combinators.combine(Arbitraries.longs(), Arbitraries.longs(), Arbitraries.integers().between(-2, 100))
                        .as((a, b, s) -> a + "-" + b + ":" + s));
    }

    @Property(tries = 300, seed = "13")
    void anyCpuListParsesOrIsRefusedWithAMessage(@ForAll("cpuLists") String list) {
        Hostile.Tally tally = new Hostile.Tally();
        Hostile.call(tally, "cpu list '" + list + "'", () -> CpuSet.parseList(list).toMask(CpuSet.MAX_CPU + 1));
        Hostile.call(tally, "cpu mask '" + list + "'", () -> CpuSet.parseMask(list).toList());
        Hostile.call(tally, "vcpupin '" + list + "'", () -> new DomainXmlParser().parse(Scenario.xml("win10", 64, false,
                "<vcpupin vcpu='0' cpuset='" + Hostile.xmlText(list) + "'/>", "").getBytes(StandardCharsets.UTF_8)));
        assertThat(tally.problems).isEmpty();
        TOTAL.add(tally);
        assertThat(tally.problems).isEmpty();
    }

    @Property(tries = 15, seed = "14")
    void anyCpuListInTheXmlWorksOrIsRefusedByTheHook(@ForAll("cpuLists") String list) {
        Hostile.Tally tally = new Hostile.Tally();
        Hostile.Sandbox box = sandbox();
        TreeSnapshot before = TreeSnapshot.of(box.tree);
        byte[] xml = Scenario.xml("win10", 64, false, "<vcpupin vcpu='0' cpuset='" + Hostile.xmlText(list) + "'/>",
                "<isolcpu backend='cgroup'/>").getBytes(StandardCharsets.UTF_8);
        box.hook(tally, "vcpupin '" + list + "' prepare", List.of("qemu", "win10", "prepare", "begin", "-"), xml);
        assertThat(box.hook(tally, "vcpupin release", List.of("qemu", "win10", "release", "end", "-"), xml)).isZero();
        assertThat(TreeSnapshot.of(box.tree).diff(before)).isEmpty();
        TOTAL.add(tally);
        assertThat(tally.problems).isEmpty();
    }

    // --- configuration --------------------------------------------------------------------------------

    @Provide
    Arbitrary<String> propertiesText() {
        Arbitrary<String> key = Arbitraries.oneOf(Arbitraries.of("libvirt-hooks.lock-timeout", "libvirt-hooks.state-dir",
                "libvirt-hooks.host-root", "libvirt-hooks.hugepages.default-size", "libvirt-hooks.hugepages.timeout",
                "libvirt-hooks.all-vms.hugepages.enabled", "libvirt-hooks.all-vms.isolcpu.cpus", "libvirt-hooks.vm.win10.cfscpu.policy",
                "libvirt-hooks.vm.\"a.b\".hugepages.size"), Arbitraries.strings().all().ofMaxLength(40).map(s -> "libvirt-hooks." + s));
        Arbitrary<String> value = Arbitraries.oneOf(Arbitraries.strings().all().ofMaxLength(40),
                Arbitraries.of("true", "false", "1s", "-1s", "0", "2M", "1G", "/", "..", "/run/../etc", "99999999999999999999"));
        return Combinators.combine(key, value).as((k, v) -> k + "=" + v).list().ofMaxSize(6).map(l -> String.join("\n", l));
    }

    @Property(tries = 80, seed = "15")
    void anyConfigurationLoadsOrIsRefusedWithAMessage(@ForAll("propertiesText") String text) throws IOException {
        Hostile.Tally tally = new Hostile.Tally();
        Path file = Files.createTempFile(root, "application", ".properties");
        Files.write(file, text.getBytes(StandardCharsets.UTF_8));
        Hostile.call(tally, "properties " + HostileCorpusTest.printable(text), () -> ConfigLoader.load(file, Map.of())
                .forVm("win10", Map.of()).features());
        assertThat(tally.problems).isEmpty();
        TOTAL.add(tally);
        assertThat(tally.problems).isEmpty();
    }

    // --- garbage in /sys and /proc ----------------------------------------------------------------------

    /** Each file the features read, with the reader that reads it. */
    private static final Map<String, java.util.function.Function<HostRoot, Object>> READERS = Map.ofEntries(
            Map.entry("/sys/devices/system/cpu/online", CpuTopology::read),
            Map.entry("/sys/devices/system/cpu/possible", CpuTopology::read),
            Map.entry("/sys/devices/system/cpu/cpu2/topology/thread_siblings_list", h -> CpuTopology.read(h).physicalCores()),
            Map.entry("/sys/devices/system/cpu/cpu2/topology/core_id", h -> CpuTopology.read(h).splitCores(CpuSet.of(2))),
            Map.entry("/sys/devices/system/node/node0/cpulist", h -> CpuTopology.read(h).cpusOfNode(0)),
            Map.entry("/sys/devices/system/node/online", CpuTopology::read),
            Map.entry("/proc/meminfo", Meminfo::read),
            Map.entry("/proc/cmdline", h -> KernelCommandLine.read(h).isolcpus()),
            Map.entry("/proc/self/mountinfo", h -> CgroupMounts.read(h).unifiedRoot(h).controllers()),
            Map.entry("/sys/fs/cgroup/cgroup.controllers", h -> CgroupMounts.read(h).unifiedRoot(h).controllers()),
            Map.entry("/sys/fs/cgroup/cgroup.subtree_control", h -> CgroupMounts.read(h).unifiedRoot(h).subtreeControl()),
            Map.entry("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", h -> new HugePages(h).counters(HugePageSize.TWO_MIB)),
            Map.entry("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", h -> new HugePages(h).counters(HugePageSize.TWO_MIB)
                    .unclaimed()),
            Map.entry("/sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages", h -> new HugePages(h).counters(HugePageSize.TWO_MIB)),
            Map.entry("/sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages",
                    h -> new HugePages(h).nodeCounters(HugePageSize.TWO_MIB, 0)),
            Map.entry("/proc/irq/24/smp_affinity_list", h -> new IrqAffinity(h).affinity(24)),
            Map.entry("/proc/irq/default_smp_affinity", h -> new IrqAffinity(h).defaultAffinity()),
            Map.entry("/sys/devices/virtual/workqueue/cpumask", h -> new Workqueue(h).unboundCpumask()),
            Map.entry("/proc/sys/kernel/sched_rt_runtime_us", h -> new KernelSysctl(h).schedRtRuntimeUs()),
            Map.entry("/proc/sys/kernel/timer_migration", h -> new KernelSysctl(h).timerMigration()),
            Map.entry("/proc/4000/task/4001/comm", h -> new ProcessThreads(h).vcpuThreads(4000)),
            Map.entry("/proc/4000/task/4001/stat", h -> new ProcessThreads(h).threads(4000)));

    @Provide
    Arbitrary<byte[]> garbage() {
        return Arbitraries.oneOf(Arbitraries.bytes().array(byte[].class).ofMaxSize(200),
                Arbitraries.strings().withChars("0123456789-,: \nabcdefx\t").ofMaxLength(60).map(s -> s.getBytes(StandardCharsets.UTF_8)),
                Arbitraries.strings().withChars("0123456789 \n:kBMemTotalFreAvHugPgs_").ofMaxLength(300)
                        .map(s -> s.getBytes(StandardCharsets.UTF_8)));
    }

    @Property(tries = 100, seed = "16")
    void everyReaderOfSysAndProcSurvivesGarbage(@ForAll("garbage") byte[] garbage,
            @ForAll("readFiles") String file) {
        Hostile.Tally tally = new Hostile.Tally();
        // Soak mode puts each garbage in every file, not only the one drawn.
        for (String target : Soak.enabled() ? READERS.keySet().stream().sorted().toList() : List.of(file)) {
            Hostile.Sandbox box = sandbox();
            box.tree.spawnQemu("win10", 1, 4000, 2);
            box.tree.writeBytes(target, garbage);
            HostRoot host = box.tree.host();
            Hostile.call(tally, target + " = " + HostileCorpusTest.printable(new String(garbage, StandardCharsets.ISO_8859_1)),
                    () -> READERS.get(target).apply(host));
            box.checkContained(tally, target);
        }
        TOTAL.add(tally);
        assertThat(tally.problems).isEmpty();
    }

    @Provide
    Arbitrary<String> readFiles() {
        return Arbitraries.of(READERS.keySet().stream().sorted().toList());
    }

    // --- helpers --------------------------------------------------------------------------------------

    private static Hostile.Sandbox sandbox() {
        return new Hostile.Sandbox(root.resolve("box-" + BOXES.incrementAndGet()), t -> { });
    }

    /** The input itself, and in soak mode a few dozen derived variants of it. */
    private static <T> List<T> variants(T input, java.util.function.UnaryOperator<T> derive) {
        List<T> all = new java.util.ArrayList<>(List.of(input));
        for (int i = 1; i < Soak.pick(1, 25); i++) {
            all.add(derive.apply(all.get(i - 1)));
        }
        return all;
    }

}
