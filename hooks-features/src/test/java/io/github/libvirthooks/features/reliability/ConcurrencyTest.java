package io.github.libvirthooks.features.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookOutcome;
import io.github.libvirthooks.features.state.JournalException;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import io.github.libvirthooks.testkit.FakeHost;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, suite 3 (fake trees): K = 2..8 VMs with hugepages and isolcpu, distinct and
 * overlapping CPUs, start and stop in seeded random interleavings, one event at a time and as
 * concurrent threads. The shared claims must count exactly at every point (hugepages: the pool
 * holds exactly the pages the running VMs need; isolcpu: the host keeps exactly the CPUs no
 * running VM uses), the last release must restore the host byte for byte, and the lock must
 * never deadlock: a hook that waits too long fails with one clear line.
 */
class ConcurrencyTest {
    private static final String SYSTEM_SLICE = FakeHost.CGROUP + "/system.slice/cpuset.cpus";
    private static final String NR = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages";
    private static final CpuSet ONLINE = CpuSet.range(0, 7);

    @TempDir
    Path tmp;

    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger checks = new AtomicInteger();
    private int runs;

    /** One VM of an interleaving: its name, CPUs and memory. */
    private record Vm(String name, CpuSet cpus, int memoryMiB, String xml, Domain domain) {
        long pages() {
            return memoryMiB / 2L;
        }
    }

    // --- one event at a time, checked from outside after every event ---------------------------

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void sharedClaimsCountExactlyInEveryInterleavingOfEvents() {
        int seeds = Soak.pick(3, 200);
        int interleavings = 0;
        int wrongCounts = 0;
        for (int k = 2; k <= 8; k++) {
            for (int seed = 0; seed < seeds; seed++) {
                Random random = new Random(k * 1000L + seed);
                Path dir = tmp.resolve("seq-" + k + "-" + seed);
                FakeHost tree = FakeHost.vfioDesktop(dir.resolve("host"));
                StateDirectory state = new StateDirectory(dir.resolve("state"));
                HookEngine engine = new HookEngine(tree.host(), new FakeHostCommands(tree.root()), state, FeatureCatalog.builtInOnly().all(),
                        Duration.ofSeconds(5), Clock.systemUTC());
                TreeSnapshot before = TreeSnapshot.of(tree);
                List<Vm> vms = vms(k, random);
                // Each VM starts and stops twice; the order of all these events is random, each VM's own order kept.
                List<String> events = new ArrayList<>();
                for (Vm vm : vms) {
                    for (int cycle = 0; cycle < 2; cycle++) {
                        events.add(vm.name());
                        events.add(vm.name());
                    }
                }
                Collections.shuffle(events, random);
                Map<String, Boolean> running = new LinkedHashMap<>();
                for (String name : events) {
                    Vm vm = vms.stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
                    boolean start = !running.getOrDefault(name, false);
                    engine.run(Lifecycle.event(name, start ? "prepare" : "release"), vm.domain(), vm.domain().hooksConfig(),
                            line -> { });
                    running.put(name, start);
                    List<Vm> up = vms.stream().filter(v -> running.getOrDefault(v.name(), false)).toList();
                    String where = "k=" + k + " seed=" + seed + " after " + (start ? "prepare " : "release ") + name;
                    if (!countsHold(tree, up, where)) {
                        wrongCounts++;
                    }
                }
                List<String> diff = TreeSnapshot.of(tree).diff(before);
                if (!diff.isEmpty() || !Lifecycle.journals(state.path()).isEmpty()) {
                    wrongCounts++;
                    problems.add("k=" + k + " seed=" + seed + ": after the last release the host differs " + diff + ", state "
                            + Lifecycle.journals(state.path()));
                }
                interleavings++;
            }
        }
        Figures.print("concurrency-sequential", "interleavings", interleavings, "checks", checks.get(), "wrong-counts",
                wrongCounts);
        assertThat(problems).isEmpty();
    }

    // --- concurrent processes, checked inside the lock ----------------------------------------------

    /**
     * Each VM is a process of its own (as libvirtd runs hooks), so the host lock is the real
     * cross-process file lock. (Threads of one JVM cannot share it yet: see
     * {@link #twoHooksInOneJvmWaitForEachOtherOnTheHostLock}.)
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void concurrentHookProcessesNeverOverlapNorDeadlockAndCountExactly() throws Exception {
        List<Integer> ks = Soak.enabled() ? List.of(2, 3, 4, 5, 6, 7, 8) : List.of(2, 5, 8);
        int seeds = Soak.pick(1, 10);
        int interleavings = 0;
        int deadlocks = 0;
        int wrongCounts = 0;
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int k : ks) {
            for (int seed = 0; seed < seeds; seed++) {
                Random random = new Random(k * 7919L + seed);
                Path dir = tmp.resolve("procs-" + k + "-" + seed);
                FakeHost tree = FakeHost.vfioDesktop(dir.resolve("host"));
                Path stateDir = dir.resolve("state");
                TreeSnapshot before = TreeSnapshot.of(tree);
                List<Process> processes = new ArrayList<>();
                for (Vm vm : vms(k, random)) {
                    Path xml = dir.resolve(vm.name() + ".xml");
                    Files.writeString(xml, vm.xml(), StandardCharsets.UTF_8);
                    processes.add(new ProcessBuilder(javaBin, "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                            ConcurrentHookMain.class.getName(), tree.root().toString(), stateDir.toString(), xml.toString(),
                            Long.toString(random.nextLong()), "2").redirectErrorStream(true).start());
                }
                for (Process process : processes) {
                    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    checks.addAndGet(output.lines().filter(l -> l.startsWith("CHECKS ")).mapToInt(l -> Integer.parseInt(l.substring(7)))
                            .sum());
                    if (!process.waitFor(120, TimeUnit.SECONDS)) {
                        deadlocks++;
                        problems.add("k=" + k + " seed=" + seed + ": a hook process still runs after 120 s");
                        process.destroyForcibly();
                        continue;
                    }
                    if (process.exitValue() != 0) {
                        wrongCounts += output.lines().filter(l -> l.startsWith("PROBLEM")).count();
                        problems.add("k=" + k + " seed=" + seed + ": exit " + process.exitValue() + ": " + output.strip());
                    }
                }
                List<String> diff = TreeSnapshot.of(tree).diff(before);
                if (!diff.isEmpty() || !Lifecycle.journals(stateDir).isEmpty()) {
                    wrongCounts++;
                    problems.add("k=" + k + " seed=" + seed + ": after the last release the host differs " + diff + ", state "
                            + Lifecycle.journals(stateDir));
                }
                interleavings++;
            }
        }
        Figures.print("concurrency-processes", "interleavings", interleavings, "checks", checks.get(), "wrong-counts", wrongCounts, "deadlocks",
                deadlocks);
        assertThat(problems).isEmpty();
        assertThat(checks.get()).as("checks made inside the lock").isEqualTo(8 * ks.stream().mapToInt(Integer::intValue).sum() * seeds);
    }

    private boolean countsHold(FakeHost tree, List<Vm> running, String where) {
        checks.incrementAndGet();
        long nr = Long.parseLong(tree.read(NR).strip());
        long needed = running.stream().mapToLong(Vm::pages).sum();
        CpuSet isolated = running.stream().map(Vm::cpus).reduce(CpuSet.empty(), CpuSet::union);
        CpuSet expected = running.isEmpty() ? CpuSet.empty() : ONLINE.difference(isolated);
        CpuSet host = cpus(tree.read(SYSTEM_SLICE));
        if (nr != needed || !host.equals(expected)) {
            problems.add(where + ": nr_hugepages " + nr + " for " + needed + " pages needed; system.slice CPUs '" + host
                    + "', expected '" + expected + "'");
            return false;
        }
        return true;
    }

    private static CpuSet cpus(String list) {
        return CpuSet.parseList(list.strip());
    }

    /** {@code k} hugepage-backed, isolating VMs on random CPUs of 1..7 (CPU 0 stays the host's), some overlapping. */
    private static List<Vm> vms(int k, Random random) {
        List<Vm> vms = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            int first = 1 + random.nextInt(7);
            int count = 1 + random.nextInt(3);
            CpuSet cpus = CpuSet.empty();
            for (int c = 0; c < count; c++) {
                cpus = cpus.union(CpuSet.of(1 + (first - 1 + c * (1 + random.nextInt(2))) % 7));
            }
            int memory = 32 << random.nextInt(3);
            String name = "vm" + i;
            String pins = "<vcpupin vcpu='0' cpuset='" + cpus.toList() + "'/>";
            String xml = Scenario.xml(name, memory, true, pins, "<hugepages/><isolcpu backend='cgroup'/>");
            vms.add(new Vm(name, cpus, memory, xml, new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8))));
        }
        return vms;
    }

    // --- the lock ----------------------------------------------------------------------------------

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aHookWaitsBoundedlyForAnotherProcessHoldingTheLockThenFailsWithOneLine() throws Exception {
        Lifecycle life = new Lifecycle(Scenario.documented().get(0), tmp.resolve("held"));
        life.lockTimeout = Duration.ofMillis(1500);
        TreeSnapshot before = TreeSnapshot.of(life.tree);
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process holder = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), LockHolderMain.class.getName(),
                life.state.path().toString(), "60").redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("locked");
            HookEngine engine = new HookEngine(life.tree.host(), life.commands, life.state, FeatureCatalog.builtInOnly().all(),
                    Duration.ofMillis(1500), Clock.systemUTC());
            long start = System.nanoTime();
            assertThatThrownBy(() -> engine.run(Lifecycle.event(Scenario.VM, "prepare"), life.domain, life.domain.hooksConfig(),
                    line -> { }))
                    .isInstanceOf(JournalException.class)
                    .hasMessageContaining("another libvirt-hooks run has held")
                    .hasMessageContaining(life.state.path().resolve("lock").toString())
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(waitedMs).as("waited").isBetween(1400L, 6000L);
            // Through the hook: prepare aborts with one line; release never fails.
            Lifecycle.HookResult prepare = life.hook(Steps.counting(), "prepare");
            assertThat(prepare.status()).isEqualTo(1);
            assertThat(prepare.stderr().strip()).doesNotContain("\n").contains("another libvirt-hooks run has held");
            assertThat(TreeSnapshot.of(life.tree).diff(before)).isEmpty();
            Figures.print("lock-timeout", "waited-ms", waitedMs, "timeout-ms", 1500, "deadlocks", 0);
        } finally {
            holder.destroyForcibly();
            holder.waitFor(10, TimeUnit.SECONDS);
        }
        // Once the holder is gone (killed: the kernel drops its lock), the next hook gets the lock at once.
        life.run(Steps.counting(), "prepare");
        life.hook(Steps.counting(), "release");
        assertThat(TreeSnapshot.of(life.tree).diff(before)).isEmpty();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aReleaseWaitsPastTheLockTimeoutWhileAnotherRunHoldsTheLockThenUndoesAndSaysWhatItWaitedFor() throws Exception {
        Lifecycle life = new Lifecycle(Scenario.documented().get(0), tmp.resolve("release-waits"));
        TreeSnapshot before = TreeSnapshot.of(life.tree);
        life.run(Steps.counting(), "prepare");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // Another VM's script holding the lock for a few seconds: longer than this engine's lock timeout.
        Process holder = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), LockHolderMain.class.getName(),
                life.state.path().toString(), "3", "pid 4242, VM other prepare begin").redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("locked");
            HookEngine engine = new HookEngine(life.tree.host(), life.commands, life.state, FeatureCatalog.builtInOnly().all(),
                    Duration.ofMillis(200), Clock.systemUTC());
            List<String> lines = new ArrayList<>();

            HookOutcome released = engine.run(Lifecycle.event(Scenario.VM, "release"), life.domain, Map.of(), lines::add);

            assertThat(released.warnings()).isEmpty();
            assertThat(lines).anyMatch(l -> l.matches("info   waited [0-9]+ s for the host lock, held by pid 4242, VM other prepare begin"));
            assertThat(TreeSnapshot.of(life.tree).diff(before)).isEmpty();
        } finally {
            holder.destroyForcibly();
            holder.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void twoHooksInOneJvmWaitForEachOtherOnTheHostLock() throws Exception {
        StateDirectory state = new StateDirectory(tmp.resolve("jvm-lock"));
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        try (StateDirectory.HostLock held = state.lock(Duration.ofSeconds(1))) {
            Thread other = new Thread(() -> {
                try (StateDirectory.HostLock mine = state.lock(Duration.ofSeconds(10))) {
                    // got it once the first run let go
                } catch (RuntimeException e) {
                    failures.add(e);
                }
            });
            other.start();
            Thread.sleep(200);
            assertThat(failures).as("the second run waits instead of failing").isEmpty();
            held.close();
            other.join(10_000);
        }
        assertThat(failures).isEmpty();
    }
}
