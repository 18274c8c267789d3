package io.github.libvirthooks.app.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.app.install.Dispatcher;
import io.github.libvirthooks.app.install.InstallLayout;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.testkit.FakeHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** doctor on the hosts VFIO users run: modular daemons, SELinux, AppArmor, libvirt before 6.5; all on fake trees. */
class DoctorHostReachTest {
    @TempDir
    Path tmp;
    FakeHost host;
    InstallLayout layout;
    Path bin;
    final List<List<String>> ran = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        host = FakeHost.at(tmp.resolve("host")).systemd().dir("/proc");
        layout = new InstallLayout(tmp.resolve("install"));
        bin = Files.createDirectories(tmp.resolve("bin"));
    }

    /** A doctor whose commands print what {@code outputs} says for their tool (by file name); anything else fails the test. */
    private Doctor doctor(Map<String, String> outputs) {
        CommandRunner commands = (argv, timeout) -> {
            ran.add(argv);
            String tool = Path.of(argv.get(0)).getFileName().toString();
            if (!outputs.containsKey(tool)) {
                throw new AssertionError("no command expected: " + argv);
            }
            return new CommandResult(argv, 0, outputs.get(tool), "");
        };
        return new Doctor(host.host(), layout, commands, List.of(bin));
    }

    private void tool(String name) throws IOException {
        Path p = bin.resolve(name);
        Files.writeString(p, "#!/bin/sh\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private void installLauncher(Instant modified) throws IOException {
        Files.createDirectories(layout.launcher().getParent());
        Files.writeString(layout.launcher(), "#!/bin/sh\n");
        Files.setPosixFilePermissions(layout.launcher(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setLastModifiedTime(layout.launcher(), FileTime.from(modified));
        Files.createDirectories(layout.libDir());
    }

    private void daemonStarted(String name, int pid, Instant at) throws IOException {
        host.file("/run/" + name + ".pid", String.valueOf(pid)).file("/proc/" + pid + "/comm", name);
        Files.setLastModifiedTime(host.local("/run/" + name + ".pid"), FileTime.from(at));
    }

    @Test
    void namesVirtqemudAndTellsToRestartItWhenItStartedBeforeTheHook() throws IOException {
        host.file("/run/libvirt/virtqemud-sock", "").file("/run/libvirt/libvirt-sock", "");
        daemonStarted("virtqemud", 977, Instant.parse("2026-12-01T10:00:00Z"));
        installLauncher(Instant.parse("2026-12-01T11:00:00Z"));

        Check check = doctor(Map.of()).daemonSeesHook();

        assertThat(check.name()).isEqualTo("virtqemud");
        assertThat(check.verdict()).isEqualTo(Check.Verdict.WARN);
        assertThat(check.fix()).isEqualTo("restart virtqemud once (systemctl restart virtqemud)");
    }

    @Test
    void anIdleSocketActivatedVirtqemudSeesTheHookAtItsNextStart() throws IOException {
        host.file("/run/libvirt/virtqemud-sock", "");
        installLauncher(Instant.parse("2026-12-01T11:00:00Z"));

        Check check = doctor(Map.of()).daemonSeesHook();

        assertThat(check.toString()).startsWith("OK   virtqemud: not running now; its socket starts it at the next connection");
    }

    @Test
    void libvirtdStartedAfterTheHookRunsIt() throws IOException {
        installLauncher(Instant.parse("2026-12-01T09:00:00Z"));
        daemonStarted("libvirtd", 812, Instant.parse("2026-12-01T10:00:00Z"));

        assertThat(doctor(Map.of()).daemonSeesHook().toString())
                .isEqualTo("OK   libvirtd: running since 2026-12-01T10:00:00Z, hooks enabled");
    }

    @Test
    void bothDaemonsRunningIsAWarning() throws IOException {
        daemonStarted("libvirtd", 812, Instant.now());
        daemonStarted("virtqemud", 977, Instant.now());

        Check check = doctor(Map.of()).daemonSeesHook();

        assertThat(check.verdict()).isEqualTo(Check.Verdict.WARN);
        assertThat(check.detail()).startsWith("both libvirtd and virtqemud run");
    }

    @Test
    void theVersionIsAskedOfTheDaemonThatRunsTheQemuDriver() throws IOException {
        host.file("/run/libvirt/virtqemud-sock", "");
        tool("virtqemud");
        tool("libvirtd");

        Check check = doctor(Map.of("virtqemud", "virtqemud (libvirt) 9.0.0\n")).libvirtVersion();

        assertThat(check.toString()).isEqualTo("OK   libvirt: version 9.0.0 (runs hooks in qemu.d/)");
        assertThat(ran).containsExactly(List.of(bin.resolve("virtqemud").toString(), "--version"));
    }

    @Test
    void belowSixFiveItWarnsAndOffersTheDispatcherUntilItIsThere() throws IOException {
        tool("libvirtd");
        Doctor doctor = doctor(Map.of("libvirtd", "libvirtd (libvirt) 6.0.0\n"));

        Check before = doctor.libvirtVersion();
        assertThat(before.verdict()).isEqualTo(Check.Verdict.WARN);
        assertThat(before.detail()).contains("6.0.0 runs only " + layout.monolithicHook() + ", not qemu.d/");
        assertThat(before.fix()).startsWith("run 'libvirt-hooks install --dispatcher'");

        Files.createDirectories(layout.monolithicHook().getParent());
        Files.writeString(layout.monolithicHook(), "#!/bin/sh\n# some other tool\n");
        assertThat(doctor.libvirtVersion().detail()).endsWith("is another tool's");

        Files.writeString(layout.monolithicHook(), Dispatcher.script());
        Check after = doctor.libvirtVersion();
        assertThat(after.verdict()).isEqualTo(Check.Verdict.OK);
        assertThat(after.detail()).endsWith("libvirt-hooks' dispatcher there runs every executable in qemu.d/");
    }

    @Test
    void noSelinuxfsMeansSelinuxIsOffAndNoLabelIsRead() throws IOException {
        installLauncher(Instant.now());
        tool("stat");

        List<Check> checks = doctor(Map.of()).run().stream().filter(c -> c.name().startsWith("selinux")).toList();

        assertThat(checks).singleElement().asString().isEqualTo("OK   selinux: not enabled (no /sys/fs/selinux/enforce)");
    }

    @Test
    void enforcingWithTheBooleanOffSaysWhatToSetAndShowsTheLabelsComparedWithThePolicy() throws IOException {
        host.file("/sys/fs/selinux/enforce", "1").file("/sys/fs/selinux/booleans/virt_hooks_unconfined", "0 0");
        installLauncher(Instant.now());
        tool("stat");
        tool("restorecon");
        String wrong = "Would relabel " + layout.libDir() + "/app from unconfined_u:object_r:user_tmp_t:s0 to"
                + " system_u:object_r:lib_t:s0\n";

        List<Check> checks = new SecurityChecks(host.host(), layout, commands(Map.of("stat", "system_u:object_r:virt_hook_exec_t:s0\n",
                "restorecon", wrong)), this::find).selinux();

        assertThat(checks).hasSize(2);
        assertThat(checks.get(0).verdict()).isEqualTo(Check.Verdict.WARN);
        assertThat(checks.get(0).detail()).startsWith("enforcing, virt_hooks_unconfined off: hooks run confined");
        assertThat(checks.get(0).fix()).isEqualTo("setsebool -P virt_hooks_unconfined on");
        assertThat(checks.get(1).name()).isEqualTo("selinux labels");
        assertThat(checks.get(1).verdict()).isEqualTo(Check.Verdict.WARN);
        assertThat(checks.get(1).detail()).contains(layout.launcher() + " system_u:object_r:virt_hook_exec_t:s0")
                .contains("1 file(s) not labelled as the policy says");
        assertThat(checks.get(1).fix()).isEqualTo("run restorecon -R /usr/lib/libvirt-hooks /etc/libvirt/hooks");
        assertThat(ran).contains(List.of(bin.resolve("stat").toString(), "-c", "%C", "--", layout.launcher().toString()),
                List.of(bin.resolve("restorecon").toString(), "-n", "-v", "-R", "--", layout.launcher().toString(),
                        layout.libDir().toString()));
    }

    @Test
    void permissiveWithTheBooleanOnAndPolicyLabelsIsAllOk() throws IOException {
        host.file("/sys/fs/selinux/enforce", "0").file("/sys/fs/selinux/booleans/virt_hooks_unconfined", "1 1");
        installLauncher(Instant.now());
        tool("stat");
        tool("restorecon");

        List<Check> checks = new SecurityChecks(host.host(), layout, commands(Map.of("stat", "system_u:object_r:lib_t:s0\n",
                "restorecon", "")), this::find).selinux();

        assertThat(checks).extracting(Check::verdict).containsOnly(Check.Verdict.OK);
        assertThat(checks.get(0).detail()).isEqualTo("permissive, virt_hooks_unconfined on: hooks run unconfined");
        assertThat(checks.get(1).detail()).endsWith(", as the policy says");
    }

    @Test
    void aPolicyWithoutTheBooleanIsAWarning() {
        host.file("/sys/fs/selinux/enforce", "1").dir("/sys/fs/selinux/booleans");

        List<Check> checks = new SecurityChecks(host.host(), layout, commands(Map.of()), this::find).selinux();

        assertThat(checks).singleElement().satisfies(c -> {
            assertThat(c.verdict()).isEqualTo(Check.Verdict.WARN);
            assertThat(c.detail()).startsWith("enforcing; the loaded policy has no virt_hooks_unconfined boolean");
        });
    }

    @Test
    void appArmorOffWithoutSecurityfsProfiles() {
        assertThat(new SecurityChecks(host.host(), layout, commands(Map.of()), this::find).apparmor().toString())
                .isEqualTo("OK   apparmor: not enabled (no /sys/kernel/security/apparmor/profiles)");
    }

    @Test
    void appArmorWithLibvirtsProfilesOnlyIsOkAndSaysHowTheDaemonRuns() throws IOException {
        host.file("/sys/kernel/security/apparmor/profiles", "libvirtd (enforce)\nvirt-aa-helper (enforce)\n"
                + "libvirt-0f5bd2d4-6d3c-4d5e-8b1e-2b1f3c0a9e11 (enforce)\n");
        daemonStarted("libvirtd", 812, Instant.now());
        host.file("/proc/812/attr/current", "libvirtd (enforce)");

        Check check = new SecurityChecks(host.host(), layout, commands(Map.of()), this::find).apparmor();

        assertThat(check.verdict()).isEqualTo(Check.Verdict.OK);
        assertThat(check.detail()).startsWith("3 profiles loaded, none for the hook's files (libvirt's own profiles confine QEMU,"
                + " not the hook); it runs as libvirtd runs: profile libvirtd (enforce)");
    }

    @Test
    void aProfileForTheLauncherConfinesTheHook() {
        host.file("/sys/kernel/security/apparmor/profiles", "libvirtd (enforce)\n" + layout.launcher() + " (enforce)\n"
                + layout.libDir() + "/bin/libvirt-hooks-native (complain)\n");

        Check check = new SecurityChecks(host.host(), layout, commands(Map.of()), this::find).apparmor();

        assertThat(check.verdict()).isEqualTo(Check.Verdict.WARN);
        assertThat(check.detail()).isEqualTo("a profile confines the hook: " + layout.launcher() + " (enforce), " + layout.libDir()
                + "/bin/libvirt-hooks-native (complain)");
    }

    private CommandRunner commands(Map<String, String> outputs) {
        return (argv, timeout) -> {
            ran.add(argv);
            String tool = Path.of(argv.get(0)).getFileName().toString();
            if (!outputs.containsKey(tool)) {
                throw new AssertionError("no command expected: " + argv);
            }
            return new CommandResult(argv, 0, outputs.get(tool), "");
        };
    }

    private java.util.Optional<Path> find(String name) {
        Path p = bin.resolve(name);
        return Files.isExecutable(p) ? java.util.Optional.of(p) : java.util.Optional.empty();
    }
}
