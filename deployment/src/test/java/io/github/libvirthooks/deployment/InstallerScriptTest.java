package io.github.libvirthooks.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code installer.sh}, the distribution's entry point: the flags it passes to the program, and
 * what it does when the Java VM itself crashes. {@code java} on its PATH is a script that
 * records each call and ends the way the test asks (exit status, or killed by a signal).
 */
class InstallerScriptTest {
    private static final Path INSTALLER = Path.of("src/main/dist/installer.sh");

    @TempDir
    Path tmp;
    Path dist;
    Path bin;
    Path calls;
    Path outcomes;

    @BeforeEach
    void distribution() throws IOException {
        dist = Files.createDirectories(tmp.resolve("dist"));
        Files.copy(INSTALLER, dist.resolve("installer.sh"));
        bin = Files.createDirectories(tmp.resolve("bin"));
        calls = tmp.resolve("calls");
        outcomes = tmp.resolve("outcomes");
        // Each call takes the next line of 'outcomes': a number is an exit status, 'segv' dies of SIGSEGV.
        Path java = bin.resolve("java");
        Files.writeString(java, """
                #!/bin/sh
                printf '%s\\n' "$*" >> '@CALLS@'
                outcome=$(head -n 1 '@OUTCOMES@'); sed -i 1d '@OUTCOMES@'
                case $outcome in
                  segv) kill -SEGV $$ ;;
                  *) exit "${outcome:-0}" ;;
                esac
                """.replace("@CALLS@", calls.toString()).replace("@OUTCOMES@", outcomes.toString()));
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void installAndUninstallRunTheProgramOnceWithTheShortLivedJvmFlags() throws Exception {
        Files.writeString(outcomes, "0\n0\n");
        assertThat(run("-i", "--restart-libvirtd").exitCode()).isZero();
        assertThat(run("-u").exitCode()).isZero();
        assertThat(Files.readAllLines(calls)).containsExactly(
                "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -jar " + dist.resolve("app/quarkus-run.jar")
                        + " install --from " + dist + " --restart-libvirtd",
                "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -jar " + dist.resolve("app/quarkus-run.jar") + " uninstall");
    }

    @Test
    void theCommandsClassDataArchiveBesideTheInstallerStartsTheProgramButNotItsRetry() throws Exception {
        // Where the packages run it: /usr/lib/libvirt-hooks holds the installer and the last install's cli.jsa.
        Files.writeString(dist.resolve("cli.jsa"), "archive");
        Files.writeString(outcomes, "0\n134\n0\n");
        assertThat(run("-i").exitCode()).isZero();
        assertThat(run("-u").exitCode()).isZero();
        List<String> recorded = Files.readAllLines(calls);
        String withArchive = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -XX:SharedArchiveFile=" + dist.resolve("cli.jsa")
                + " -Xlog:disable -jar " + dist.resolve("app/quarkus-run.jar");
        assertThat(recorded).hasSize(3);
        assertThat(recorded.get(0)).isEqualTo(withArchive + " install --from " + dist);
        assertThat(recorded.get(1)).isEqualTo(withArchive + " uninstall");
        assertThat(recorded.get(2)).startsWith("-Xshare:off -Xint ").doesNotContain("cli.jsa").endsWith(" uninstall");
    }

    @Test
    void aJvmThatAbortsAfterACrashReportIsRunOnceMoreWithoutSharingOrJit() throws Exception {
        // 134: the VM's own crash handler wrote hs_err_pid*.log and called abort().
        Files.writeString(outcomes, "134\n0\n");
        Result r = run("-u");
        assertThat(r.exitCode()).isZero();
        List<String> recorded = Files.readAllLines(calls);
        assertThat(recorded).hasSize(2);
        assertThat(recorded.get(1)).startsWith("-Xshare:off -Xint ").endsWith(" uninstall");
        assertThat(r.stderr()).contains("the Java VM crashed (exit status 134").contains("once more without class-data sharing or JIT");
    }

    @Test
    void aJvmKilledByASignalIsRetriedAndTheRetrysStatusIsTheResult() throws Exception {
        Files.writeString(outcomes, "segv\n1\n");
        Result r = run("-u");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(Files.readAllLines(calls)).hasSize(2);
        assertThat(r.stderr()).contains("exit status 139");
    }

    @Test
    void anOrdinaryFailureIsNotRetried() throws Exception {
        // 1: uninstall refused (VMs still applied); running it again would only refuse again.
        Files.writeString(outcomes, "1\n0\n");
        Result r = run("-u");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(Files.readAllLines(calls)).hasSize(1);
        assertThat(r.stderr()).doesNotContain("crashed");
    }

    @Test
    void usageErrorsNeverStartJava() throws Exception {
        assertThat(run("-x").exitCode()).isEqualTo(2);
        assertThat(run("-h").exitCode()).isZero();
        assertThat(calls).doesNotExist();
    }

    private record Result(int exitCode, String stderr) {
    }

    private Result run(String... args) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of("sh", dist.resolve("installer.sh").toString()));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(tmp.toFile());
        pb.environment().put("PATH", bin + ":/usr/bin:/bin");
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), stderr);
    }
}
