package io.github.libvirthooks.features.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.config.ConfigLoader;
import io.github.libvirthooks.features.config.LoadedConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, suite 4, the stored corpus ({@code src/test/resources/reliability/}): hostile VM
 * names, domain XML, configuration files and garbage in {@code /sys} and {@code /proc}, each
 * run through the hook as libvirt would (prepare, then release) on a sandboxed host with a
 * canary directory beside it. Each case works or is refused with one clear line; nothing is
 * written outside the roots, nothing unexpected runs, nothing hangs, no stack trace.
 */
class HostileCorpusTest {
    private static final Hostile.Tally TOTAL = new Hostile.Tally();
    private static final String HOOKS = "<hugepages/><isolcpu backend='cgroup'/>";

    @TempDir
    Path tmp;
    private int sandboxes;

    @AfterAll
    static void figures() {
        TOTAL.print("hostile-corpus");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void hostileVmNames() {
        Hostile.Tally tally = new Hostile.Tally();
        for (String name : names()) {
            Hostile.Sandbox box = sandbox();
            TreeSnapshot before = TreeSnapshot.of(box.tree);
            String xml = Scenario.xml(Hostile.xmlText(name), 64, true, "<vcpupin vcpu='0' cpuset='2,6'/>", HOOKS);
            String what = "VM name '" + printable(name) + "'";
            int prepare = box.hook(tally, what + " prepare", List.of("qemu", name, "prepare", "begin", "-"), bytes(xml));
            int release = box.hook(tally, what + " release", List.of("qemu", name, "release", "end", "-"), bytes(xml));
            assertThat(release).as(what + ": release").isIn(0, 2);
            assertThat(TreeSnapshot.of(box.tree).diff(before)).as(what + ": host after release").isEmpty();
            assertThat(Lifecycle.journals(box.state.path())).as(what + ": state after release (prepare exited " + prepare + ")")
                    .isEmpty();
        }
        TOTAL.add(tally);
        assertThat(tally.problems).isEmpty();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void hostileDomainXml() throws IOException {
        Hostile.Tally tally = new Hostile.Tally();
        List<Map.Entry<String, byte[]>> cases = new ArrayList<>();
        for (Path file : corpus("xml")) {
            cases.add(Map.entry(file.getFileName().toString(), Files.readAllBytes(file)));
        }
        String valid = Scenario.xml("win10", 64, true, "<vcpupin vcpu='0' cpuset='2'/>", HOOKS);
        int limit = io.github.libvirthooks.features.domain.DomainXmlParser.MAX_XML_BYTES;
        cases.add(Map.entry("larger than the limit", bytes(valid.replace("</domain>",
                "<description>" + "x".repeat(limit) + "</description></domain>"))));
        cases.add(Map.entry("just under the limit of comments", bytes(valid.replace("</domain>",
                "<!--" + "x".repeat(limit - valid.length() - 20) + "--></domain>"))));
        cases.add(Map.entry("16000 script elements", bytes(valid.replace("</hooks>",
                "<script exec='/bin/true'/>".repeat(16_000) + "</hooks>"))));
        cases.add(Map.entry("a million-character name", bytes(Scenario.xml("w".repeat(1_000_000), 64, true, "", HOOKS))));
        // 200000 nested elements inside <name> overflow the stack: FoundBugsRegressionTest.deeplyNestedXmlIsRefusedWithOneLine
        cases.add(Map.entry("200 nested elements inside <name>", bytes(valid.replace("<name>win10</name>",
                "<name>" + "<a>".repeat(200) + "win10" + "</a>".repeat(200) + "</name>"))));
        cases.add(Map.entry("200000 nested elements inside <metadata>", bytes(valid.replace("<metadata>",
                "<metadata>" + "<a>".repeat(200_000) + "</a>".repeat(200_000)))));
        cases.add(Map.entry("100000 vcpupins", bytes(valid.replace("<vcpupin vcpu='0' cpuset='2'/>",
                String.join("", java.util.stream.IntStream.range(0, 100_000).mapToObj(i -> "<vcpupin vcpu='" + i
                        + "' cpuset='2'/>").toList())))));
        cases.add(Map.entry("100000 attributes on a feature", bytes(valid.replace("<hugepages/><isolcpu",
                "<hugepages " + String.join(" ", java.util.stream.IntStream.range(0, 100_000).mapToObj(i -> "a" + i + "='1'")
                        .toList()) + "/><isolcpu"))));
        for (Map.Entry<String, byte[]> c : cases) {
            Hostile.Sandbox box = sandbox();
            TreeSnapshot before = TreeSnapshot.of(box.tree);
            String what = "domain XML " + c.getKey();
            box.hook(tally, what + " prepare", List.of("qemu", "win10", "prepare", "begin", "-"), c.getValue());
            int release = box.hook(tally, what + " release", List.of("qemu", "win10", "release", "end", "-"), c.getValue());
            assertThat(release).as(what + ": release").isZero();
            assertThat(TreeSnapshot.of(box.tree).diff(before)).as(what + ": host after release").isEmpty();
            assertThat(Lifecycle.journals(box.state.path())).as(what + ": state after release").isEmpty();
        }
        TOTAL.add(tally);
        assertThat(tally.problems).isEmpty();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void hostileConfiguration() {
        Hostile.Tally tally = new Hostile.Tally();
        List<Map<String, String>> environments = List.of(Map.of(), Map.of("LIBVIRT_HOOKS_LOCK_TIMEOUT", "garbage"),
                Map.of("LIBVIRT_HOOKS_STATE_DIR", "../../etc"), Map.of("LIBVIRT_HOOKS_ALL_VMS_HUGEPAGES_ENABLED", "$(reboot)"),
                Map.of("LIBVIRT_HOOKS_HOST_ROOT", "\u0000"), Map.of("LIBVIRT_HOOKS_NO_SUCH_KEY", "1"));
        for (Path file : corpus("config")) {
            for (Map<String, String> environment : environments) {
                String what = "config " + file.getFileName() + " with " + environment.keySet();
                Hostile.call(tally, what, () -> {
                    LoadedConfig config = ConfigLoader.load(file, environment);
                    for (String name : names()) {
                        config.forVm(name, Map.of()).features();
                    }
                    return config;
                });
            }
        }
        TOTAL.add(tally);
        assertThat(tally.problems).isEmpty();
    }

    /** Files the features read, each replaced by garbage in turn; the hook runs a whole life over it. */
    static final List<String> READ_FILES = List.of(
            "/sys/devices/system/cpu/online", "/sys/devices/system/cpu/possible",
            "/sys/devices/system/cpu/cpu2/topology/thread_siblings_list", "/sys/devices/system/cpu/cpu2/topology/core_id",
            "/sys/devices/system/node/node0/cpulist", "/sys/devices/system/node/online",
            "/proc/meminfo", "/proc/self/mountinfo", "/proc/cmdline",
            "/sys/fs/cgroup/cgroup.controllers", "/sys/fs/cgroup/cgroup.subtree_control", "/sys/fs/cgroup/system.slice/cpuset.cpus",
            "/sys/fs/cgroup/machine.slice/cpuset.cpus.partition",
            "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages",
            "/sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages",
            "/proc/irq/24/smp_affinity_list", "/proc/irq/default_smp_affinity", "/sys/devices/virtual/workqueue/cpumask",
            "/proc/sys/kernel/sched_rt_runtime_us", "/proc/sys/kernel/timer_migration",
            "/run/libvirt/qemu/win10.pid", "/proc/4001/task/4001/stat", "/proc/4000/task/4001/comm");

    static final List<byte[]> GARBAGE = List.of(new byte[0], bytes("\u0000\u0001\u00ff garbage\n\n\n"),
            bytes("99999999999999999999999"), bytes("-1"), bytes("0-99999999"), bytes("../../../outside/canary"),
            new byte[] {(byte) 0xff, (byte) 0xfe, 0, 10});

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void garbageInSysAndProc() {
        Hostile.Tally tally = new Hostile.Tally();
        Scenario scenario = new Scenario("garbage", "<hugepages/><isolcpu backend='cgroup' workqueue='true' irq='true'"
                + " timer-migration='false' partition='isolated'/><cfscpu policy='fifo' priority='5' rt-runtime='-1' weight='50'/>",
                true, true, t -> t.file("/proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda quiet"));
        int contents = Soak.enabled() ? GARBAGE.size() : 1;
        for (String file : READ_FILES) {
            for (int g = 0; g < contents; g++) {
                byte[] garbage = GARBAGE.get((g + READ_FILES.indexOf(file)) % GARBAGE.size());
                Hostile.Sandbox box = sandbox(scenario);
                boolean qemuFile = file.startsWith("/run/libvirt/qemu") || file.startsWith("/proc/400");
                if (!qemuFile) {
                    box.tree.writeBytes(file, garbage);
                }
                TreeSnapshot before = TreeSnapshot.of(box.tree);
                String what = file + " = '" + printable(new String(garbage, StandardCharsets.ISO_8859_1)) + "'";
                byte[] xml = bytes(Scenario.xml("win10", 64, true, "<vcpupin vcpu='0' cpuset='2,6'/><vcpupin vcpu='1' cpuset='3,7'/>",
                        scenario.hooks()));
                box.hook(tally, what + ": prepare", List.of("qemu", "win10", "prepare", "begin", "-"), xml);
                box.tree.spawnQemu("win10", 1, 4000, 2);
                if (qemuFile) {
                    box.tree.writeBytes(file, garbage);
                }
                box.hook(tally, what + ": started", List.of("qemu", "win10", "started", "begin", "-"), xml);
                box.tree.exitQemu("win10", 1, 4000, 2);
                box.hook(tally, what + ": stopped", List.of("qemu", "win10", "stopped", "end", "-"), xml);
                int release = box.hook(tally, what + ": release", List.of("qemu", "win10", "release", "end", "-"), xml);
                assertThat(release).as(what + ": release").isZero();
                // The garbage file itself may come back in the kernel's format; every other file must be as it was.
                // (An interrupt's smp_affinity mask is the same setting as its list.)
                String garbageRel = file.substring(1);
                String sameKnob = garbageRel.replace("smp_affinity_list", "smp_affinity");
                List<String> diff = TreeSnapshot.of(box.tree).diff(before).stream()
                        .filter(d -> !d.startsWith("changed " + garbageRel + ":") && !d.startsWith("changed " + sameKnob + ":")
                                && !d.contains(" " + garbageRel + " ")
                                && !(qemuFile && d.startsWith("removed ")))
                        .toList();
                assertThat(diff).as(what + ": host after release").isEmpty();
            }
        }
        TOTAL.add(tally);
        assertThat(tally.problems).isEmpty();
    }

    private Hostile.Sandbox sandbox() {
        return sandbox(Scenario.documented().get(0));
    }

    private Hostile.Sandbox sandbox(Scenario scenario) {
        sandboxes++;
        return new Hostile.Sandbox(tmp.resolve("box-" + sandboxes), scenario.setup());
    }

    /** The names of {@code names.txt}, with {@code \\uXXXX} decoded. */
    static List<String> names() {
        try (InputStream in = HostileCorpusTest.class.getResourceAsStream("/reliability/names.txt")) {
            List<String> names = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith("# ") || line.isEmpty()) {
                    continue;
                }
                Matcher m = Pattern.compile("\\\\u([0-9a-fA-F]{4})").matcher(line);
                StringBuilder out = new StringBuilder();
                while (m.find()) {
                    m.appendReplacement(out, Matcher.quoteReplacement(String.valueOf((char) Integer.parseInt(m.group(1), 16))));
                }
                m.appendTail(out);
                names.add(out.toString());
            }
            names.add("x".repeat(1024));
            names.add("x".repeat(1025));
            names.add("ü".repeat(1024));
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> corpus(String dir) {
        try (Stream<Path> files = Files.list(Path.of(HostileCorpusTest.class.getResource("/reliability/" + dir).toURI()))) {
            return files.sorted().toList();
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String printable(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().limit(60).forEach(c -> out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", c)
                : new String(Character.toChars(c))));
        return out + (s.length() > 60 ? "...(" + s.length() + " chars)" : "");
    }
}
