package io.github.libvirthooks.deployment.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;

/**
 * The lab's scripts without a guest: run-in-guest.sh on the build host with made-up checks,
 * and run-lab.sh's verdict with a stand-in for qemu that plays a guest (passing, failing,
 * silent, hung) and records the command line it was given. Fast, needs neither root nor
 * QEMU, and writes nothing outside its temporary directory.
 */
class LabScriptsTest {
    private static final Path LAB = Path.of(System.getProperty("lab.dir", "lab")).toAbsolutePath();
    private static final Duration LIMIT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private Path program;
    private Path results;

    @BeforeEach
    void layOutAProgramShare() throws IOException {
        program = tmp.resolve("program");
        results = tmp.resolve("results");
        Files.createDirectories(program.resolve("checks"));
        Files.createDirectories(results);
        Files.copy(LAB.resolve("guest-tests/run-in-guest.sh"), program.resolve("run-in-guest.sh"));
    }

    // --- run-in-guest.sh -------------------------------------------------------------------

    @Test
    void runInGuestCountsPassedAndFailedChecksAndReportsThem() throws Exception {
        check("10-fine", "echo all good");
        check("20-broken", "echo 'details first'; echo 'node 1 has 0 pages, expected 8'; exit 3");

        LabCommand.Result run = runInGuest(Map.of());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(Files.readString(results.resolve("summary.txt"))).isEqualTo("lab: 1 passed, 1 failed\n");
        List<String> lines = Files.readAllLines(results.resolve("checks.txt"));
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("PASS 10-fine (");
        assertThat(lines.get(1)).startsWith("FAIL 20-broken (").contains("exit status 3", ": node 1 has 0 pages, expected 8");
        assertThat(Files.readString(results.resolve("checks/20-broken.log"))).contains("details first");

        Element suite = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(results.resolve("junit/TEST-lab.xml").toFile()).getDocumentElement();
        assertThat(suite.getAttribute("tests")).isEqualTo("2");
        assertThat(suite.getAttribute("failures")).isEqualTo("1");
        assertThat(suite.getElementsByTagName("failure").item(0).getTextContent()).contains("node 1 has 0 pages");
    }

    @Test
    void runInGuestWithoutAnyCheckFails() throws IOException {
        LabCommand.Result run = runInGuest(Map.of());

        assertThat(run.exitCode()).isNotZero();
        assertThat(Files.readString(results.resolve("summary.txt"))).isEqualTo("lab: 0 passed, 0 failed\n");
    }

    @Test
    void runInGuestStopsACheckThatHangsAndCountsItFailed() throws IOException {
        check("10-hangs", "exec sleep 60");
        check("20-fine", "true");

        LabCommand.Result run = runInGuest(Map.of("LAB_CHECK_TIMEOUT", "1"));

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.output()).contains("FAIL 10-hangs", "timed out after 1 s", "PASS 20-fine", "lab: 1 passed, 1 failed");
    }

    @Test
    void setupRunsBeforeTheChecksAndIsNotCountedAsOne() throws IOException {
        Files.createDirectories(program.resolve("setup"));
        Files.writeString(program.resolve("setup/10-prepare.sh"), "touch \"$LAB_RESULTS/prepared\"; echo 'lab prepared'\n");
        check("10-sees-setup", "test -f \"$LAB_RESULTS/prepared\"");

        LabCommand.Result run = runInGuest(Map.of());

        assertThat(run.exitCode()).isZero();
        assertThat(Files.readAllLines(results.resolve("checks.txt")))
                .satisfiesExactly(l -> assertThat(l).startsWith("SETUP setup/10-prepare (").endsWith("): lab prepared"),
                        l -> assertThat(l).startsWith("PASS 10-sees-setup ("));
        assertThat(Files.readString(results.resolve("summary.txt"))).isEqualTo("lab: 1 passed, 0 failed\n");
    }

    @Test
    void aFailedSetupFailsTheRunAndNoCheckRuns() throws IOException {
        Files.createDirectories(program.resolve("setup"));
        Files.writeString(program.resolve("setup/10-prepare.sh"), "echo 'no QEMU capabilities cache'; exit 1\n");
        check("10-would-pass", "touch \"$LAB_RESULTS/ran\"");

        LabCommand.Result run = runInGuest(Map.of());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.output()).contains("FAIL setup/10-prepare", "no QEMU capabilities cache");
        assertThat(results.resolve("ran")).doesNotExist();
        assertThat(Files.readString(results.resolve("summary.txt"))).startsWith("lab: 0 passed, 1 failed");
    }

    @Test
    void theBrokenLabsFilterLeavesTheSetupOut() throws IOException {
        Path share = tmp.resolve("share");
        List<String> checks = LabProgramShare.assemble(LAB.resolve("guest-tests"), share, name -> name.contains("cgroup-v2"),
                Optional.empty());

        assertThat(checks).containsExactly("10-cgroup-v2");
        try (var setup = Files.list(share.resolve("setup"))) {
            assertThat(setup).isEmpty();
        }
    }

    @Test
    void aCheckMayAskForItsOwnTimeLimit() throws IOException {
        check("10-short", "# lab-check-timeout: 1\nexec sleep 60");
        check("20-default", "sleep 2");

        LabCommand.Result run = runInGuest(Map.of("LAB_CHECK_TIMEOUT", "30"));

        assertThat(run.output()).contains("FAIL 10-short", "timed out after 1 s", "PASS 20-default", "lab: 1 passed, 1 failed");
    }

    @Test
    void aJvmCrashDuringACheckIsKeptAndNamedOnItsLine() throws IOException {
        Path crashDir = Files.createDirectories(tmp.resolve("cwd"));
        Files.writeString(crashDir.resolve("hs_err_pid4711.log"), "an old report, from before the check\n");
        Files.setLastModifiedTime(crashDir.resolve("hs_err_pid4711.log"), java.nio.file.attribute.FileTime.fromMillis(0));
        check("10-crashes", "echo '# A fatal error has been detected' > '" + crashDir + "/hs_err_pid4712.log'");
        check("20-quiet", "true");

        runInGuest(Map.of("LAB_CRASH_DIRS", crashDir.toString()));

        List<String> lines = Files.readAllLines(results.resolve("checks.txt"));
        assertThat(lines.get(0)).startsWith("PASS 10-crashes (").contains("[JVM crash: hs_err_pid4712.log, in jvm-crashes/]")
                .doesNotContain("4711");
        assertThat(lines.get(1)).doesNotContain("JVM crash");
        assertThat(results.resolve("jvm-crashes/10-crashes-hs_err_pid4712.log")).hasContent("# A fatal error has been detected");
    }

    @Test
    void checksSeeTheProgramShareTheResultsAndTheProbeClasspath() throws IOException {
        Files.createDirectories(program.resolve("lib/classes"));
        Files.writeString(program.resolve("lib/a.jar"), "");
        check("10-env", "echo \"program=$LAB_PROGRAM results=$LAB_RESULTS cp=$LAB_CLASSPATH\"");

        runInGuest(Map.of());

        assertThat(Files.readString(results.resolve("checks/10-env.log"))).isEqualTo("program=" + program.toRealPath()
                + " results=" + results + " cp=" + program.toRealPath() + "/lib/a.jar:" + program.toRealPath() + "/lib/classes\n");
    }

    // --- the program share and the checks' helpers -----------------------------------------

    @Test
    void theProgramShareShipsTheDistributionTheBuildUnpacked() throws IOException {
        Path build = tmp.resolve("target");
        Path dist = build.resolve("libvirt-hooks-1.2.3/libvirt-hooks-1.2.3");
        Files.createDirectories(dist.resolve("app"));
        Files.writeString(dist.resolve("app/quarkus-run.jar"), "jar");
        Files.writeString(dist.resolve("installer.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(dist.resolve("installer.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(build.resolve("libvirt-hooks-1.2.3.tar.gz"), "archive");
        Files.writeString(build.resolve("libvirt-hooks_1.2.3_all.deb"), "deb");
        Files.writeString(build.resolve("libvirt-hooks-1.2.3-1.noarch.rpm"), "rpm");

        assertThat(LabProgramShare.distribution(build)).isEqualTo(dist);
        assertThat(LabProgramShare.debPackage(build)).isEqualTo(build.resolve("libvirt-hooks_1.2.3_all.deb"));
        Path share = tmp.resolve("share");
        List<String> checks = LabProgramShare.assemble(LAB.resolve("guest-tests"), share, name -> true, Optional.of(dist),
                Optional.of(LabProgramShare.debPackage(build)));

        assertThat(checks).contains("05-install", "99-uninstall");
        assertThat(share.resolve("dist/app/quarkus-run.jar")).hasContent("jar");
        assertThat(share.resolve("packages/libvirt-hooks_1.2.3_all.deb")).hasContent("deb");
        assertThat(share.resolve("packages")).isDirectoryNotContaining("glob:**.rpm");
        assertThat(Files.isExecutable(share.resolve("dist/installer.sh"))).isTrue();
        assertThat(Files.isExecutable(share.resolve("bin/lab-probe"))).isTrue();
    }

    @Test
    void withoutAnUnpackedDistributionTheLabSaysToPackageFirst() throws IOException {
        Files.createDirectories(tmp.resolve("target/classes"));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> LabProgramShare.distribution(tmp.resolve("target")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no unpacked distribution").hasMessageContaining("after 'package'");
    }

    @Test
    void everyShippedCheckAndHelperIsValidBash() throws IOException {
        List<Path> scripts = new ArrayList<>();
        try (var files = Files.list(LAB.resolve("guest-tests/checks"))) {
            files.filter(f -> f.toString().endsWith(".sh")).forEach(scripts::add);
        }
        scripts.add(LAB.resolve("guest-tests/bin/lab-vm.sh"));
        for (Path script : scripts) {
            LabCommand.Result syntax = LabCommand.run(List.of("bash", "-n", script.toString()), Map.of(), LIMIT,
                    Optional.empty(), Optional.empty());
            assertThat(syntax.exitCode()).as("bash -n %s: %s", script, syntax.output()).isZero();
        }
    }

    @Test
    void theChecksHelperComparesCpuListsAsTheKernelAndSystemdPrintThem() {
        String script = ". " + LAB.resolve("guest-tests/bin/lab-vm.sh") + "\n"
                + "cpus_equal '0 2-3' '0,2-3' && echo same1\n"
                + "cpus_equal '0-1' '0,1' && echo same2\n"
                + "cpus_equal '' '' && echo same3\n"
                + "cpus_equal absent 0-1 || echo differ1\n"
                + "cpus_equal 0-1 0 || echo differ2\n"
                + "echo \"list=$(cpu_list '0,2-4 7')\"\n";
        LabCommand.Result run = LabCommand.run(List.of("bash", "-c", script), Map.of(), LIMIT, Optional.empty(), Optional.empty());

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("same1", "same2", "same3", "differ1", "differ2", "list=0 2 3 4 7");
    }

    // --- run-lab.sh ------------------------------------------------------------------------

    @Test
    void runLabBootsTheTopologyTheChecksExpectAndPassesWhenTheGuestDoes() throws IOException {
        LabCommand.Result run = runLab("pass", 60, List.of());

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("PASS 10-a", "lab: 1 passed, 0 failed");
        List<String> argv = Files.readAllLines(tmp.resolve("qemu-argv"));
        assertThat(argv).containsSubsequence("-cpu", "Nehalem,+pdpe1gb")
                .containsSubsequence("-smp", "4,sockets=1,cores=2,threads=2")
                .containsSubsequence("-numa", "node,nodeid=0,cpus=0-1,memdev=m0")
                .containsSubsequence("-numa", "node,nodeid=1,cpus=2-3,memdev=m1")
                .containsSubsequence("-accel", "tcg,thread=multi")
                .contains("-no-reboot", "-nic", "none")
                .contains("local,path=" + program + ",mount_tag=program,security_model=none,readonly=on")
                .contains("local,path=" + results + ",mount_tag=results,security_model=none");
        assertThat(argv).anyMatch(a -> a.startsWith("file=") && a.endsWith("disk.img,format=raw,if=virtio,snapshot=on"));
        String append = argv.get(argv.indexOf("-append") + 1);
        assertThat(append).contains("root=/dev/vda", "console=ttyS0", "systemd.unified_cgroup_hierarchy=1", "panic=-1",
                "hugepagesz=1G hugepages=1:1");
    }

    @Test
    void runLabFailsWhenACheckFailedInTheGuest() throws IOException {
        LabCommand.Result run = runLab("fail", 60, List.of());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.output()).contains("FAIL 20-b", "lab: 1 passed, 1 failed", "FAIL: 1 failed");
    }

    @Test
    void runLabFailsWhenTheGuestPowersOffWithoutResults() throws IOException {
        LabCommand.Result run = runLab("silent", 60, List.of());

        assertThat(run.exitCode()).isEqualTo(3);
        assertThat(run.output()).contains("without finishing the suite", "a kernel line on the console");
    }

    @Test
    void runLabKillsAGuestThatNeverPowersOffAndFails() throws IOException {
        long start = System.nanoTime();
        LabCommand.Result run = runLab("hang", 2, List.of());

        assertThat(run.exitCode()).isEqualTo(3);
        assertThat(run.output()).contains("did not power off within 2 s");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void runLabPassesExtraKernelArgumentsToBreakTheLabOnPurpose() throws IOException {
        runLab("pass", 60, List.of("--append", "systemd.unified_cgroup_hierarchy=0"));

        List<String> argv = Files.readAllLines(tmp.resolve("qemu-argv"));
        assertThat(argv.get(argv.indexOf("-append") + 1)).endsWith("systemd.unified_cgroup_hierarchy=0");
    }

    @Test
    void runLabWithoutAProgramShareIsAUsageError() {
        LabCommand.Result run = LabCommand.run(List.of(LAB.resolve("run-lab.sh").toString(), "--results", results.toString()),
                Map.of(), LIMIT, Optional.empty(), Optional.empty());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.output()).contains("--program and --results are required");
    }

    @Test
    void runLabRefusesToEmptyADirectoryItDidNotMake() throws IOException {
        Files.writeString(results.resolve("precious.txt"), "not the lab's");

        LabCommand.Result run = runLab("pass", 60, List.of());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.output()).contains("is not empty and was not made by run-lab.sh");
        assertThat(results.resolve("precious.txt")).hasContent("not the lab's");
    }

    @Test
    void runLabEmptiesItsOwnResultsBeforeTheNextBoot() throws IOException {
        runLab("fail", 60, List.of());
        assertThat(Files.readString(results.resolve("summary.txt"))).contains("1 failed");

        LabCommand.Result again = runLab("silent", 60, List.of());

        assertThat(again.exitCode()).isEqualTo(3);
        assertThat(results.resolve("summary.txt")).doesNotExist();
    }

    // --- helpers ---------------------------------------------------------------------------

    private void check(String name, String body) throws IOException {
        Files.writeString(program.resolve("checks").resolve(name + ".sh"), body + "\n");
    }

    private LabCommand.Result runInGuest(Map<String, String> env) {
        return LabCommand.run(List.of("bash", program.resolve("run-in-guest.sh").toString(), results.toString()),
                env, LIMIT, Optional.empty(), Optional.empty());
    }

    /**
     * run-lab.sh against a cached stand-in image and a stand-in qemu that plays {@code mode}:
     * pass, fail, silent (powers off without results) or hang.
     */
    private LabCommand.Result runLab(String mode, int timeoutSeconds, List<String> extra) throws IOException {
        Path cache = tmp.resolve("cache");
        Map<String, String> env = new HashMap<>(Map.of("LAB_CACHE_DIR", cache.toString(), "LAB_ACCEL", "tcg",
                "LAB_QEMU", fakeQemu().toString(), "FAKE_QEMU_MODE", mode, "FAKE_QEMU_ARGV", tmp.resolve("qemu-argv").toString()));
        LabCommand.Result dir = LabCommand.run(List.of(LAB.resolve("build-image.sh").toString(), "--print-dir"),
                env, LIMIT, Optional.empty(), Optional.empty());
        Path image = Path.of(dir.output().strip());
        assertThat(image).startsWithRaw(cache);
        Files.createDirectories(image);
        for (String file : List.of("complete", "vmlinuz", "initrd.img", "disk.img")) {
            Files.writeString(image.resolve(file), "stand-in\n");
        }
        List<String> argv = new ArrayList<>(List.of(LAB.resolve("run-lab.sh").toString(), "--program", program.toString(),
                "--results", results.toString(), "--console", tmp.resolve("console.log").toString(),
                "--timeout", Integer.toString(timeoutSeconds)));
        argv.addAll(extra);
        return LabCommand.run(argv, env, LIMIT, Optional.empty(), Optional.empty());
    }

    private Path fakeQemu() throws IOException {
        Path qemu = tmp.resolve("fake-qemu");
        Files.writeString(qemu, """
                #!/bin/bash
                # Plays the lab guest for run-lab.sh: records its argv, then acts as told.
                printf '%s\\n' "$@" > "$FAKE_QEMU_ARGV"
                results="" console=""
                for arg in "$@"; do
                  case "$arg" in
                    local,path=*,mount_tag=results,*) results=${arg#local,path=}; results=${results%%,mount_tag=*} ;;
                    file:*) console=${arg#file:} ;;
                  esac
                done
                echo "[    0.000000] a kernel line on the console" > "$console"
                case "$FAKE_QEMU_MODE" in
                  pass) echo 'PASS 10-a (1.0 s)' > "$results/checks.txt"
                        echo 'lab: 1 passed, 0 failed' > "$results/summary.txt"; echo 0 > "$results/exit-status" ;;
                  fail) printf 'PASS 10-a (1.0 s)\\nFAIL 20-b (1.0 s, exit status 1): no\\n' > "$results/checks.txt"
                        echo 'lab: 1 passed, 1 failed' > "$results/summary.txt"; echo 1 > "$results/exit-status" ;;
                  silent) ;;
                  hang) exec sleep 60 ;;
                esac
                """);
        Files.setPosixFilePermissions(qemu, PosixFilePermissions.fromString("rwxr-xr-x"));
        return qemu;
    }
}
