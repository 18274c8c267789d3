package io.github.libvirthooks.deployment.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * libvirt-hooks installed on this machine's real libvirtd, real KVM domains started with virsh.
 * Runs after packaging (failsafe), from the distribution the build just made.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LibvirtHooksE2eIT {
    private static final Path WORK = Path.of("target/e2e");
    private static final Path JVM_CALLS = WORK.resolve("jvm-calls").toAbsolutePath();
    private static final Path STATE = Path.of("/run/libvirt-hooks");
    private static final List<String> DOMAINS = List.of("e2e-plain", "e2e-hp", "e2e-toomuch", "e2e-a", "e2e-b",
            "e2e we'ird \"$(touch e2e-pwned)\"; `touch e2e-pwned` x", "e2e-crash", "e2e-env");
    private static long hugepagesBefore;
    private static boolean installed;

    @BeforeAll
    static void installOnRealLibvirtd() throws Exception {
        Libvirt.assumeRootAndKvm("libvirt end-to-end tests");
        Files.createDirectories(WORK);
        Libvirt.up(false);
        cleanDomains();
        Path dist = Libvirt.distribution();
        Path recorder = WORK.resolve("java-recorder").toAbsolutePath();
        String realJava = ProcessHandle.current().info().command().orElse("java");
        Files.writeString(recorder, "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + JVM_CALLS + "'\nexec '" + realJava + "' \"$@\"\n");
        Files.setPosixFilePermissions(recorder, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.deleteIfExists(JVM_CALLS);
        Libvirt.Result install = Libvirt.run(List.of("sh", dist.resolve("installer.sh").toString(), "-i", "--java", recorder.toString()),
                null, 120);
        assertThat(install.exit()).as(install.err() + install.out()).isZero();
        installed = true;
        // libvirtd decides at start whether hooks exist: restart it so it surely runs ours.
        Libvirt.up(true);
        hugepagesBefore = Libvirt.nrHugepages();
    }

    @AfterAll
    static void cleanUp() {
        if (installed) {
            cleanDomains();
        }
    }

    @Test
    @Order(1)
    void anUnconfiguredDomainStartsAndStopsWithoutAJvm() throws IOException {
        Libvirt.define(WORK, Libvirt.domain("e2e-plain", 64, false, ""));
        assertThat(Libvirt.virsh("start", "e2e-plain").ok()).isTrue();
        assertThat(Libvirt.virsh("destroy", "e2e-plain").ok()).isTrue();
        assertThat(jvmCalls()).noneMatch(l -> l.contains("e2e-plain"));
    }

    @Test
    @Order(2)
    void hugepagesAreReservedWhileTheDomainRunsAndGivenBackExactly() throws IOException {
        Libvirt.define(WORK, Libvirt.domain("e2e-hp", 64, true, "<hugepages/>"));
        Libvirt.Result start = Libvirt.virsh("start", "e2e-hp");
        assertThat(start.ok()).as(start.err()).isTrue();
        assertThat(Libvirt.nrHugepages()).isEqualTo(hugepagesBefore + 32);
        assertThat(jvmCalls()).anyMatch(l -> l.contains("HookMain qemu e2e-hp prepare begin"));
        assertThat(jvmCalls()).noneMatch(l -> l.contains("e2e-hp start begin") || l.contains("e2e-hp started begin"));

        String doctor = Libvirt.run(List.of("libvirt-hooks", "doctor"), null, 120).out();
        assertThat(doctor).contains("OK   hook: launcher installed").contains("OK   archive: /usr/lib/libvirt-hooks/hook.jsa matches");

        String running = Libvirt.run(List.of("libvirt-hooks", "status", "--json"), null, 60).out();
        assertThat(running).contains("\"name\" : \"e2e-hp\"").contains("\"pages added\" : \"32\"");

        assertThat(Libvirt.virsh("destroy", "e2e-hp").ok()).isTrue();
        assertThat(Libvirt.nrHugepages()).isEqualTo(hugepagesBefore);
        String after = Libvirt.run(List.of("libvirt-hooks", "status", "--json"), null, 60).out();
        assertThat(after).contains("\"vms\" : [ ]");
    }

    @Test
    @Order(3)
    void aDomainAskingForMoreThanTheHostHasFailsToStartWithOurMessage() throws IOException {
        Libvirt.define(WORK, Libvirt.domain("e2e-toomuch", 256 * 1024, true, "<hugepages/>"));
        Libvirt.Result start = Libvirt.virsh("start", "e2e-toomuch");
        assertThat(start.ok()).isFalse();
        assertThat(start.err()).contains("libvirt-hooks: e2e-toomuch prepare begin: hugepages: need 131072 more x 2 MiB pages")
                .doesNotContain("hugepages: hugepages:");
        assertThat(Libvirt.nrHugepages()).isEqualTo(hugepagesBefore);
        assertThat(Files.exists(STATE) ? listJournals() : List.of()).isEmpty();
    }

    @Test
    @Order(4)
    void twoDomainsStartedTogetherBothRunWithExactCounts() throws Exception {
        Libvirt.define(WORK, Libvirt.domain("e2e-a", 64, true, "<hugepages/>"));
        Libvirt.define(WORK, Libvirt.domain("e2e-b", 128, true, "<hugepages/>"));
        CompletableFuture<Libvirt.Result> a = CompletableFuture.supplyAsync(() -> Libvirt.virsh("start", "e2e-a"));
        CompletableFuture<Libvirt.Result> b = CompletableFuture.supplyAsync(() -> Libvirt.virsh("start", "e2e-b"));
        assertThat(a.get().ok()).as(a.get().err()).isTrue();
        assertThat(b.get().ok()).as(b.get().err()).isTrue();
        assertThat(Libvirt.nrHugepages()).isEqualTo(hugepagesBefore + 32 + 64);

        assertThat(Libvirt.virsh("destroy", "e2e-a").ok()).isTrue();
        assertThat(Libvirt.nrHugepages()).isEqualTo(hugepagesBefore + 64);
        assertThat(Libvirt.virsh("destroy", "e2e-b").ok()).isTrue();
        assertThat(Libvirt.nrHugepages()).isEqualTo(hugepagesBefore);
    }

    @Test
    @Order(5)
    void twoToFourDomainsStartAndStopInRandomInterleavingsWithExactCounts() throws Exception {
        java.util.Random random = new java.util.Random(20261125);
        int interleavings = 0;
        for (int k = 2; k <= 4; k++) {
            List<String> names = new ArrayList<>();
            List<Integer> pages = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                String name = "e2e-k" + k + "-" + i;
                int mib = 32 * (1 + random.nextInt(3));
                Libvirt.define(WORK, Libvirt.domain(name, mib, true, "<hugepages/>"));
                names.add(name);
                pages.add(mib / 2);
            }
            List<Integer> order = new ArrayList<>(java.util.stream.IntStream.range(0, k).boxed().toList());
            java.util.Collections.shuffle(order, random);
            List<CompletableFuture<Libvirt.Result>> starts = new ArrayList<>();
            for (int i : order) {
                starts.add(CompletableFuture.supplyAsync(() -> Libvirt.virsh("start", names.get(i))));
            }
            for (CompletableFuture<Libvirt.Result> start : starts) {
                assertThat(start.get().ok()).as(start.get().err()).isTrue();
            }
            long running = pages.stream().mapToLong(Integer::longValue).sum();
            assertThat(Libvirt.nrHugepages()).as("k=%d all running", k).isEqualTo(hugepagesBefore + running);
            java.util.Collections.shuffle(order, random);
            for (int i : order) {
                assertThat(Libvirt.virsh("destroy", names.get(i)).ok()).isTrue();
                running -= pages.get(i);
                assertThat(Libvirt.nrHugepages()).as("k=%d after destroying %s", k, names.get(i)).isEqualTo(hugepagesBefore + running);
            }
            names.forEach(Libvirt::destroyAndUndefine);
            interleavings++;
        }
        System.out.println("RELIABILITY concurrency-libvirtd interleavings=" + interleavings + " wrong-counts=0 deadlocks=0");
    }

    @Test
    @Order(6)
    void aHostileNameIsDataNotCode() throws IOException {
        String name = DOMAINS.get(5);
        Files.deleteIfExists(Path.of("/e2e-pwned"));
        Files.deleteIfExists(Path.of("e2e-pwned"));
        Libvirt.define(WORK, Libvirt.domain(name, 64, true, "<hugepages/>"));
        Libvirt.Result start = Libvirt.virsh("start", "--", name);
        assertThat(start.ok()).as(start.err()).isTrue();
        assertThat(listJournals()).hasSize(1).allMatch(p -> p.getFileName().toString().matches("vm-[A-Za-z0-9_-]+-[0-9a-f]{32}\\.journal"));
        assertThat(Libvirt.virsh("destroy", "--", name).ok()).isTrue();
        assertThat(Path.of("/e2e-pwned")).doesNotExist();
        assertThat(Path.of("e2e-pwned")).doesNotExist();
        assertThat(Libvirt.nrHugepages()).isEqualTo(hugepagesBefore);
    }

    @Test
    @Order(7)
    void restoreAfterAHookThatNeverSawItsReleaseGivesEverythingBack() throws IOException {
        // The state a crash leaves: prepare ran and journaled, release never came.
        String xml = Libvirt.domain("e2e-crash", 64, true, "<hugepages/>");
        Libvirt.Result prepare = Libvirt.run(List.of("libvirt-hooks", "hook", "qemu", "e2e-crash", "prepare", "begin", "-"), xml, 60);
        assertThat(prepare.exit()).as(prepare.err()).isZero();
        assertThat(Libvirt.nrHugepages()).isEqualTo(hugepagesBefore + 32);

        Libvirt.Result restore = Libvirt.run(List.of("libvirt-hooks", "restore"), null, 60);
        assertThat(restore.exit()).as(restore.err()).isZero();
        assertThat(restore.out()).contains("32 of 32 pages given back");
        assertThat(Libvirt.nrHugepages()).isEqualTo(hugepagesBefore);
    }

    /**
     * What reaches the hook: libvirtd gives it none of its own environment, so a variable set for
     * libvirtd changes nothing, and /etc/libvirt-hooks/environment does (its state directory is
     * where this VM's journal goes, and where release finds it).
     */
    @Test
    @Order(8)
    void aVariableInLibvirtdsEnvironmentDoesNotReachTheHookTheEnvironmentFileDoes() throws IOException {
        Path elsewhere = Path.of("/run/libvirt-hooks-e2e-env");
        Path environmentFile = Path.of("/etc/libvirt-hooks/environment");
        Libvirt.define(WORK, Libvirt.domain("e2e-env", 64, true, "<hugepages/>"));
        try {
            Libvirt.upWithEnvironment(java.util.Map.of("LIBVIRT_HOOKS_STATE_DIR", elsewhere.toString(),
                    "LIBVIRT_HOOKS_LOCK_TIMEOUT", "not-a-duration"));
            Libvirt.Result start = Libvirt.virsh("start", "e2e-env");
            assertThat(start.ok()).as("libvirtd's variables never reach the hook: " + start.err()).isTrue();
            assertThat(listJournals()).as("the journal is in the default state directory").hasSize(1);
            assertThat(elsewhere).doesNotExist();
            assertThat(Libvirt.virsh("destroy", "e2e-env").ok()).isTrue();
            assertThat(Libvirt.nrHugepages()).isEqualTo(hugepagesBefore);

            Files.writeString(environmentFile, "# from the e2e test\nLIBVIRT_HOOKS_STATE_DIR=" + elsewhere + "\n");
            start = Libvirt.virsh("start", "e2e-env");
            assertThat(start.ok()).as(start.err()).isTrue();
            assertThat(Libvirt.nrHugepages()).isEqualTo(hugepagesBefore + 32);
            try (Stream<Path> files = Files.list(elsewhere)) {
                assertThat(files.map(p -> p.getFileName().toString())).as("the file's state directory")
                        .anyMatch(n -> n.startsWith("vm-e2e-env-") && n.endsWith(".journal"));
            }
            assertThat(listJournals()).isEmpty();
            assertThat(Libvirt.virsh("destroy", "e2e-env").ok()).isTrue();
            assertThat(Libvirt.nrHugepages()).as("release found the journal where the file says").isEqualTo(hugepagesBefore);

            Files.writeString(environmentFile, "LIBVIRT_HOOKS_LOCK_TIMEOUT=soon\n");
            start = Libvirt.virsh("start", "e2e-env");
            assertThat(start.ok()).isFalse();
            assertThat(start.err()).contains("libvirt-hooks.lock-timeout=soon (as LIBVIRT_HOOKS_LOCK_TIMEOUT in " + environmentFile + ")");
        } finally {
            Files.deleteIfExists(environmentFile);
            Libvirt.destroyAndUndefine("e2e-env");
            Libvirt.deleteTree(elsewhere);
            Libvirt.up(true);
        }
        assertThat(Libvirt.nrHugepages()).isEqualTo(hugepagesBefore);
    }

    @Test
    @Order(9)
    void uninstallLeavesNoFileOfOursBehind() throws IOException {
        cleanDomains();
        Libvirt.Result uninstall = Libvirt.run(List.of("libvirt-hooks", "uninstall"), null, 60);
        assertThat(uninstall.exit()).as(uninstall.err()).isZero();
        installed = false;
        assertThat(Path.of("/etc/libvirt/hooks/qemu.d/libvirt-hooks")).doesNotExist();
        assertThat(Path.of("/usr/lib/libvirt-hooks")).doesNotExist();
        assertThat(Path.of("/usr/bin/libvirt-hooks")).doesNotExist();
        assertThat(Path.of("/etc/libvirt-hooks/application.properties")).doesNotExist();
        assertThat(STATE).doesNotExist();
    }

    private static void cleanDomains() {
        for (String name : DOMAINS) {
            Libvirt.destroyAndUndefine(name);
        }
        for (String name : Libvirt.virsh("list", "--all", "--name").out().split("\n")) {
            if (name.startsWith("e2e-k")) {
                Libvirt.destroyAndUndefine(name.strip());
            }
        }
    }

    private static List<String> jvmCalls() throws IOException {
        return Files.exists(JVM_CALLS) ? Files.readAllLines(JVM_CALLS) : List.of();
    }

    private static List<Path> listJournals() throws IOException {
        try (Stream<Path> files = Files.list(STATE)) {
            return files.filter(p -> p.toString().endsWith(".journal")).toList();
        }
    }
}
