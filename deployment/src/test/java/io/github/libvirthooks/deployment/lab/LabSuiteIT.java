package io.github.libvirthooks.deployment.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The lab suite: builds (or reuses) the lab guest image, boots it with the freshly built
 * hooks-sysfs, the unpacked distribution and the .deb ({@code package} made them) and the
 * checks of {@code deployment/lab/guest-tests} in its program share, and turns what the guest
 * reports into one test per check: the smoke checks, then the .deb installed and upgraded in
 * the guest, every feature on real domains, then its removal and purge. A second boot breaks the lab on purpose
 * (cgroup v1) and must fail.
 *
 * <p>It fails, never skips, when the lab is broken: no results, a timeout or a failed check
 * are failures. It skips, loudly, only where the lab cannot exist: not Linux, or neither
 * root (to build the image) nor a cached image, or no QEMU and no way to install it.
 */
class LabSuiteIT {
    private static final Path LAB = Path.of(System.getProperty("lab.dir", "lab")).toAbsolutePath();
    private static final Path WORK = Path.of(System.getProperty("lab.work", "target/lab")).toAbsolutePath();
    /**
     * run-lab.sh's own limit for one boot. Measured under TCG on 2 cores (lab README): the whole
     * suite 1124 s with a parallel Maven build beside it, less on a quiet machine; this is about
     * twice that, and each check also has its own limit inside the guest.
     */
    private static final int BOOT_TIMEOUT_SECONDS = 2400;
    /** The boot plus a fresh image build (about 3 minutes) and the KVM probe. */
    private static final Duration RUN_LIMIT = Duration.ofMinutes(50);
    private static final List<String> TOOLS = List.of("qemu-system-x86_64", "debootstrap", "mkfs.ext4", "timeout", "flock");
    private static final List<String> APT_PACKAGES = List.of("qemu-system-x86", "debootstrap", "e2fsprogs", "util-linux", "coreutils");

    private static List<String> shippedChecks;
    private static Path results;
    private static LabCommand.Result smoke;

    @BeforeAll
    static void bootTheLab() throws IOException {
        requireLabHost();
        Files.createDirectories(WORK);
        Path program = WORK.resolve("program");
        results = WORK.resolve("results");
        Path distribution = LabProgramShare.distribution(WORK.getParent());
        shippedChecks = LabProgramShare.assemble(LAB.resolve("guest-tests"), program, name -> true, Optional.of(distribution),
                Optional.of(LabProgramShare.debPackage(WORK.getParent())));
        System.out.println("[lab] booting the lab with checks " + shippedChecks + " (program share " + program + ")");
        smoke = runLab(program, results, WORK.resolve("console.log"), List.of(), WORK.resolve("run-lab.log"));
        reportJvmCrashes(results);
    }

    /**
     * A JVM that crashed inside the guest is a finding even when its check passed (installer.sh
     * runs a crashed install or uninstall once more): name every report the guest kept.
     */
    private static void reportJvmCrashes(Path resultsDir) throws IOException {
        Path crashes = resultsDir.resolve("jvm-crashes");
        if (!Files.isDirectory(crashes)) {
            return;
        }
        try (Stream<Path> reports = Files.list(crashes)) {
            List<Path> found = reports.sorted().toList();
            if (!found.isEmpty()) {
                System.err.println("[lab] the guest kept " + found.size() + " JVM crash report(s): " + found);
            }
        }
    }

    @Test
    void theLabSuitePasses() throws IOException {
        assertThat(smoke.timedOut()).as("run-lab.sh did not finish within %s:%n%s", RUN_LIMIT, smoke.output()).isFalse();
        assertThat(smoke.exitCode()).as("run-lab.sh exit status (0 = every check passed); its output:%n%s%s",
                smoke.output(), consoleHint()).isZero();
        assertThat(Files.readString(results.resolve("summary.txt")).strip())
                .isEqualTo("lab: " + shippedChecks.size() + " passed, 0 failed");
    }

    /** One test per shipped check, so the report names what failed inside the guest. */
    @TestFactory
    Stream<DynamicTest> everyCheckPassesInTheGuest() {
        List<String> lines = readLines(results.resolve("checks.txt"));
        return shippedChecks.stream().map(check -> DynamicTest.dynamicTest(check, () -> {
            Optional<String> line = lines.stream().filter(l -> l.matches("(PASS|FAIL) " + check + " .*")).findFirst();
            if (line.isEmpty()) {
                fail("the guest reported nothing for check " + check + " (see " + results + " and " + WORK.resolve("console.log") + ")");
            }
            if (!line.get().startsWith("PASS ")) {
                fail(line.get() + "\n--- " + check + ".log ---\n"
                        + String.join("\n", readLines(results.resolve("checks").resolve(check + ".log"))));
            }
        }));
    }

    /** A lab that is not cgroup v2 (and so a check that fails inside the guest) fails the run. */
    @Test
    void aBrokenLabFailsInsteadOfPassing() throws IOException {
        Path brokenWork = WORK.resolve("broken");
        Path program = brokenWork.resolve("program");
        Path brokenResults = brokenWork.resolve("results");
        List<String> checks = LabProgramShare.assemble(LAB.resolve("guest-tests"), program, name -> name.contains("cgroup-v2"),
                Optional.empty());
        assertThat(checks).as("the cgroup v2 check is shipped").hasSize(1);
        System.out.println("[lab] booting a lab broken on purpose (systemd.unified_cgroup_hierarchy=0): it must fail");
        LabCommand.Result broken = runLab(program, brokenResults, brokenWork.resolve("console.log"),
                List.of("--append", "systemd.unified_cgroup_hierarchy=0"), brokenWork.resolve("run-lab.log"));

        assertThat(broken.exitCode()).as("run-lab.sh on a cgroup v1 lab; its output:%n%s", broken.output()).isEqualTo(1);
        assertThat(broken.output()).contains("FAIL " + checks.get(0), "lab: 0 passed, 1 failed");
        assertThat(Files.readString(brokenResults.resolve("checks").resolve(checks.get(0) + ".log"))).contains("not cgroup2");
    }

    private static LabCommand.Result runLab(Path program, Path resultsDir, Path console, List<String> extra, Path log) throws IOException {
        Files.createDirectories(log.getParent());
        // target/lab is ours: results of an earlier run must never pass for this one's.
        LabProgramShare.deleteTree(resultsDir);
        List<String> argv = new ArrayList<>(List.of(LAB.resolve("run-lab.sh").toString(),
                "--program", program.toString(), "--results", resultsDir.toString(),
                "--console", console.toString(), "--timeout", Integer.toString(BOOT_TIMEOUT_SECONDS)));
        argv.addAll(extra);
        return LabCommand.run(argv, Map.of(), RUN_LIMIT, Optional.of("[lab] "), Optional.of(log));
    }

    private static String consoleHint() {
        return "\n(serial console: " + WORK.resolve("console.log") + ", guest logs: " + results + ")";
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // --- prerequisites: skip only where the lab cannot exist ------------------------------

    private static void requireLabHost() {
        skipUnless(System.getProperty("os.name").equals("Linux"), "the lab boots a Linux guest with QEMU; this is "
                + System.getProperty("os.name"));
        boolean root = isRoot();
        boolean cached = imageIsCached();
        skipUnless(root || cached, "the lab image is not built yet and building it needs root (debootstrap); run the"
                + " tests as root once, or run " + LAB.resolve("build-image.sh") + " as root");
        List<String> missing = missingTools(cached);
        if (!missing.isEmpty() && root && onPath("apt-get")) {
            System.out.println("[lab] installing " + APT_PACKAGES + " for the missing " + missing);
            List<String> install = new ArrayList<>(List.of("apt-get", "install", "-y", "-q", "--no-install-recommends"));
            install.addAll(APT_PACKAGES);
            LabCommand.Result result = LabCommand.run(install, Map.of("DEBIAN_FRONTEND", "noninteractive"),
                    Duration.ofMinutes(10), Optional.of("[apt] "), Optional.empty());
            if (result.exitCode() != 0) {
                LabCommand.run(List.of("apt-get", "update", "-q"), Map.of(), Duration.ofMinutes(5), Optional.of("[apt] "), Optional.empty());
                LabCommand.run(install, Map.of("DEBIAN_FRONTEND", "noninteractive"), Duration.ofMinutes(10), Optional.of("[apt] "), Optional.empty());
            }
            missing = missingTools(cached);
        }
        skipUnless(missing.isEmpty(), "the lab needs " + missing + " and they could not be installed"
                + " (apt-get install -y --no-install-recommends " + String.join(" ", APT_PACKAGES) + ")");
    }

    private static List<String> missingTools(boolean imageCached) {
        return TOOLS.stream()
                .filter(tool -> !(imageCached && (tool.equals("debootstrap") || tool.equals("mkfs.ext4"))))
                .filter(tool -> !onPath(tool))
                .toList();
    }

    private static boolean imageIsCached() {
        LabCommand.Result dir = LabCommand.run(List.of(LAB.resolve("build-image.sh").toString(), "--print-dir"),
                Map.of(), Duration.ofSeconds(30), Optional.empty(), Optional.empty());
        return dir.exitCode() == 0 && Files.exists(Path.of(dir.output().strip()).resolve("complete"));
    }

    private static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:"))
                    .anyMatch(l -> l.split("\\s+")[2].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean onPath(String tool) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("") + ":/usr/sbin:/sbin";
        return Stream.of(path.split(File.pathSeparator))
                .filter(dir -> !dir.isEmpty())
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
    }

    private static void skipUnless(boolean holds, String why) {
        if (!holds) {
            String banner = "!".repeat(78);
            System.err.println(banner + "\n!! THE LAB SUITE IS SKIPPED: " + why + "\n" + banner);
            Assumptions.abort("lab skipped: " + why);
        }
    }
}
