package io.github.libvirthooks.app.install;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** install on the hosts VFIO users run: modular daemons, hosts without systemd, libvirt before 6.5 (the dispatcher). */
class InstallerHostReachTest {
    private static final Path SHARE = Path.of("../deployment/src/main/dist/share");
    private static final Installer.GeneratedDocs DOCS = new Installer.GeneratedDocs("complete -F _x libvirt-hooks\n", ".TH X 1\n");
    private static final String SKELETON = "# libvirt-hooks configuration\n";

    @TempDir
    Path tmp;
    Path dist;
    Path root;
    InstallLayout layout;
    List<String> out = new ArrayList<>();

    @BeforeEach
    void distribution() throws IOException {
        dist = tmp.resolve("dist");
        Files.createDirectories(dist.resolve("app/lib/main"));
        Files.writeString(dist.resolve("app/quarkus-run.jar"), "jar");
        for (String jar : List.of("io.github.libvirthooks.hooks-features-1.jar", "io.github.libvirthooks.hooks-sysfs-1.jar",
                "io.smallrye.config.smallrye-config-3.jar", "io.smallrye.common.smallrye-common-constraint-2.jar",
                "org.eclipse.microprofile.config.microprofile-config-api-3.jar", "org.jboss.logging.jboss-logging-3.jar",
                "org.ow2.asm.asm-9.jar")) {
            Files.writeString(dist.resolve("app/lib/main").resolve(jar), "");
        }
        for (String f : List.of("qemu-hook", "libvirt-hooks", "systemd/libvirt-hooks-sleep.service",
                "systemd/libvirt-hooks-shutdown.service")) {
            Files.createDirectories(dist.resolve("share").resolve(f).getParent());
            Files.copy(SHARE.resolve(f), dist.resolve("share").resolve(f));
        }
        root = tmp.resolve("root");
        layout = new InstallLayout(root);
    }

    private Installer installer() {
        return new Installer(layout, out::add, (argv, timeout) ->
                new io.github.libvirthooks.sysfs.exec.CommandResult(argv, 1, "", "Error: could not find main class"));
    }

    private void file(String path, String content) throws IOException {
        Path p = root.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
    }

    @Test
    void onAHostWhoseInitIsNotSystemdNoUnitIsInstalledAndItSaysWhatNeedsSystemd() throws IOException {
        file("proc/1/comm", "openrc-init\n");

        installer().install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);

        assertThat(layout.unit("libvirt-hooks-sleep.service")).doesNotExist();
        assertThat(layout.unit("libvirt-hooks-shutdown.service")).doesNotExist();
        assertThat(out).contains("systemd is not the init system here (PID 1 is openrc-init): installed no systemd units; nosleep,"
                + " dosleep, dohibernate and beforeoff-dohibernate need systemd and refuse to start a VM here, isolcpu uses its"
                + " cgroup backend");
        assertThat(out).anyMatch(l -> l.contains("restart it once (with your init system, e.g. rc-service libvirtd restart"));
        assertThat(Files.readString(layout.manifest())).doesNotContain("systemd");
    }

    @Test
    void aStagingTreeStillGetsTheUnits() throws IOException {
        installer().install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);

        assertThat(layout.unit("libvirt-hooks-sleep.service")).exists();
    }

    @Test
    void onAModularHostItNamesVirtqemudToRestart() throws IOException {
        file("proc/1/comm", "systemd\n");
        Files.createDirectories(root.resolve("run/systemd/system"));
        file("run/libvirt/virtqemud-sock", "");
        file("run/virtqemud.pid", "977\n");
        file("proc/977/comm", "virtqemud\n");

        Installer.InstallResult result = installer().install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);

        assertThat(result.daemon()).isEqualTo("virtqemud");
        assertThat(result.libvirtdMustRestart()).isTrue();
        assertThat(out).contains("virtqemud looks for hooks only when it starts and saw none: restart it once"
                + " (systemctl restart virtqemud) so that it runs libvirt-hooks");
    }

    @Test
    void anIdleSocketActivatedVirtqemudNeedsNoRestart() throws IOException {
        file("run/libvirt/virtqemud-sock", "");

        Installer.InstallResult result = installer().install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);

        assertThat(result.libvirtdMustRestart()).isFalse();
        assertThat(out).contains("virtqemud is not running now: its socket starts it at the next connection, and it runs"
                + " libvirt-hooks then");
    }

    @Test
    void theDispatcherIsWrittenOnlyWhereNoQemuFileIsAndUninstallRemovesIt() throws IOException {
        Installer installer = installer();
        installer.install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);

        assertThat(installer.installDispatcher(Dispatcher.script())).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(layout.monolithicHook()))).isEqualTo("rwxr-xr-x");
        assertThat(Dispatcher.isOurs(layout.monolithicHook())).isTrue();
        // A later plain install keeps it in the manifest.
        installer.install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);
        assertThat(Files.readString(layout.manifest())).contains("etc/libvirt/hooks/qemu\n");

        installer.uninstall(false, SKELETON);
        assertThat(layout.monolithicHook()).doesNotExist();
    }

    @Test
    void theDispatcherNeverReplacesAnotherToolsQemuScript() throws IOException {
        file("etc/libvirt/hooks/qemu", "#!/bin/sh\n# vfio-tools\n");
        Installer installer = installer();
        installer.install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);

        assertThat(installer.installDispatcher(Dispatcher.script())).isFalse();

        assertThat(Files.readString(layout.monolithicHook())).isEqualTo("#!/bin/sh\n# vfio-tools\n");
        assertThat(out).anyMatch(l -> l.startsWith("--dispatcher: left " + layout.monolithicHook() + " alone"));
        assertThat(Files.readString(layout.manifest())).doesNotContain("etc/libvirt/hooks/qemu\n");
    }

    /** The script itself, run as libvirt runs it: argument list, the XML on standard input. */
    @Test
    void theDispatcherRunsEveryExecutableInQemuDWithTheSameArgumentsAndXmlAndReportsAFailure() throws Exception {
        Path hooks = Files.createDirectories(tmp.resolve("hooks/qemu.d"));
        Path dispatcher = tmp.resolve("hooks/qemu");
        Files.writeString(dispatcher, Dispatcher.script());
        Files.setPosixFilePermissions(dispatcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path seen = Files.createDirectories(tmp.resolve("seen"));
        script(hooks.resolve("10-first"), "printf '%s|' \"$@\" > '" + seen + "/first.args'; cat > '" + seen + "/first.xml'; exit 3");
        script(hooks.resolve("20-second"), "printf '%s|' \"$@\" > '" + seen + "/second.args'; cat > '" + seen + "/second.xml'");
        Files.writeString(hooks.resolve("30-not-executable"), "#!/bin/sh\ntouch '" + seen + "/ran-anyway'\n");
        Path scratch = Files.createDirectories(tmp.resolve("scratch"));
        String xml = "<domain type='kvm'>\n  <name>win 10; $(touch /tmp/pwned)</name>\n</domain>\n\n";

        ProcessBuilder pb = new ProcessBuilder(dispatcher.toString(), "win 10; $(id)", "prepare", "begin", "-");
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("TMPDIR", scratch.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        p.getOutputStream().write(xml.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(p.exitValue()).as(output).isEqualTo(3);
        for (String s : List.of("first", "second")) {
            assertThat(Files.readString(seen.resolve(s + ".args"))).isEqualTo("win 10; $(id)|prepare|begin|-|");
            assertThat(Files.readString(seen.resolve(s + ".xml"))).isEqualTo(xml);
        }
        assertThat(seen.resolve("ran-anyway")).doesNotExist();
        try (Stream<Path> left = Files.list(scratch)) {
            assertThat(left).as("the buffered XML is removed").isEmpty();
        }
    }

    private static void script(Path path, String body) throws IOException {
        Files.writeString(path, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
