package io.github.libvirthooks.app.importing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class VfioToolsImportTest {
    @TempDir
    Path tmp;
    Path qemuD;
    Path etc;

    @BeforeEach
    void trees() throws IOException {
        qemuD = Files.createDirectories(tmp.resolve("libvirt/hooks/qemu.d"));
        etc = Files.createDirectories(tmp.resolve("libvirt-hooks"));
    }

    private Path file(String relative, String text, String mode) throws IOException {
        Path p = qemuD.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
        return p;
    }

    @Test
    void aVfioToolsTreeMovesOverUnchangedAndWhatDoesNotFitIsReported() throws IOException {
        file("win10/prepare/begin/10-bind-vfio.sh", "#!/bin/bash\necho bind\n", "rwxr-xr-x");
        file("win10/release/end/10-unbind-vfio.sh", "#!/bin/bash\necho unbind\n", "rwxrwxr-x");
        file("win10/started/begin", "#!/bin/sh\necho a single file\n", "rwxr-xr-x");
        file("win10/prepare/begin/notes.txt", "not a script\n", "rw-r--r--");
        file("win10/prepare/begin/20-ask.sh", "#!/bin/sh\nvirsh list\n", "rwxr-xr-x");
        file("win10/prepare/begin/old/10-x.sh", "#!/bin/sh\n", "rwxr-xr-x");
        file("win10/prepare/begin.d/10-x.sh", "#!/bin/sh\n", "rwxr-xr-x");
        file("win10/prepar/begin/10-x.sh", "#!/bin/sh\n", "rwxr-xr-x");
        file("libvirt-hooks", "#!/bin/sh\n", "rwxr-xr-x");

        VfioToolsImport.Report report = new VfioToolsImport(qemuD, etc).run(false);

        Path hooks = etc.resolve("hooks.d/win10");
        assertThat(report.copied()).containsExactlyInAnyOrder(
                qemuD.resolve("win10/prepare/begin/10-bind-vfio.sh") + " -> " + hooks.resolve("prepare/begin/10-bind-vfio.sh"),
                qemuD.resolve("win10/prepare/begin/20-ask.sh") + " -> " + hooks.resolve("prepare/begin/20-ask.sh"),
                qemuD.resolve("win10/prepare/begin/notes.txt") + " -> " + hooks.resolve("prepare/begin/notes.txt"),
                qemuD.resolve("win10/release/end/10-unbind-vfio.sh") + " -> " + hooks.resolve("release/end/10-unbind-vfio.sh"),
                qemuD.resolve("win10/started/begin") + " -> " + hooks.resolve("started/begin/50-begin"));
        assertThat(Files.readString(hooks.resolve("prepare/begin/10-bind-vfio.sh"))).isEqualTo("#!/bin/bash\necho bind\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(hooks.resolve("release/end/10-unbind-vfio.sh"))))
                .as("no longer group-writable: the hook refuses such scripts").isEqualTo("rwxr-xr-x");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(hooks.resolve("prepare/begin/notes.txt"))))
                .isEqualTo("rw-r--r--");
        assertThat(report.unmapped()).containsExactlyInAnyOrder(
                qemuD.resolve("win10/prepar") + ": not a libvirt operation (prepare, start, started, stopped, release, migrate,"
                        + " restore, reconnect, attach)",
                qemuD.resolve("win10/prepare/begin.d") + ": not a sub-operation (begin, end or -)",
                qemuD.resolve("win10/prepare/begin/old") + ": a folder inside the sub-operation folder (VFIO-Tools did not run it either)");
        assertThat(report.left()).singleElement().asString().startsWith(qemuD.resolve("libvirt-hooks").toString());
        assertThat(report.warnings()).containsExactly(
                hooks.resolve("prepare/begin/20-ask.sh") + " calls libvirt (virsh): libvirtd waits for its hooks, so a hook that"
                        + " calls it can deadlock; move that work out of the hook (a systemd unit, the service feature)",
                hooks.resolve("prepare/begin/notes.txt") + " is not executable (VFIO-Tools did not run it either); chmod 755 it to run it");
        assertThat(report.advice()).first().asString().contains("remove the VFIO-Tools dispatcher " + qemuD.getParent().resolve("qemu"));
    }

    @Test
    void anExistingFileIsNeverOverwrittenAndASecondImportIsHarmless() throws IOException {
        file("win10/prepare/begin/10-bind.sh", "#!/bin/sh\necho new\n", "rwxr-xr-x");
        new VfioToolsImport(qemuD, etc).run(false);
        VfioToolsImport.Report again = new VfioToolsImport(qemuD, etc).run(false);
        assertThat(again.copied()).singleElement().asString().endsWith("(already there)");

        Path mine = etc.resolve("hooks.d/win10/prepare/begin/10-bind.sh");
        Files.writeString(mine, "#!/bin/sh\necho mine\n");
        VfioToolsImport.Report conflict = new VfioToolsImport(qemuD, etc).run(false);
        assertThat(conflict.unmapped()).singleElement().asString().contains(mine + " exists with other content");
        assertThat(Files.readString(mine)).isEqualTo("#!/bin/sh\necho mine\n");
    }

    @Test
    void aDryRunWritesNothing() throws IOException {
        file("win10/prepare/begin/10-bind.sh", "#!/bin/sh\n", "rwxr-xr-x");

        VfioToolsImport.Report report = new VfioToolsImport(qemuD, etc).run(true);

        assertThat(report.copied()).hasSize(1);
        assertThat(etc.resolve("hooks.d")).doesNotExist();
    }

    @Test
    void theCommandPrintsTheReportAndExitsOneWhenSomethingWasNotCopied() throws IOException {
        file("win10/prepare/begin/10-bind.sh", "#!/bin/sh\n", "rwxr-xr-x");
        file("win10/prepare/bgin/10-x.sh", "#!/bin/sh\n", "rwxr-xr-x");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            exit = new CommandLine(new ImportCommand()).execute("--from", qemuD.toString(), "--config",
                    etc.resolve("application.properties").toString());
        } finally {
            System.setOut(saved);
        }

        assertThat(exit).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("copied " + qemuD.resolve("win10/prepare/begin/10-bind.sh"))
                .contains("not copied " + qemuD.resolve("win10/prepare/bgin") + ": not a sub-operation")
                .contains("next: check the copies");
    }

    @Test
    void aMissingTreeIsAClearError() {
        assertThatThrownBy(() -> new VfioToolsImport(tmp.resolve("none"), etc).run(false))
                .hasMessageStartingWith("import: " + tmp.resolve("none") + " is not a folder");
    }

    @Test
    void linksAreNeverFollowedAndARootOnlyScriptStaysRootOnly() throws IOException {
        Path secret = file("../secret", "#!/bin/sh\necho secret\n", "rwx------");
        Path own = file("win10/prepare/begin/10-own", "#!/bin/sh\ntrue\n", "rwx------");
        Files.createSymbolicLink(qemuD.resolve("win10/prepare/begin/20-link"), secret);
        Files.createDirectories(qemuD.resolve("win10/release"));
        Files.createSymbolicLink(qemuD.resolve("win10/release/end"), secret.getParent());
        Files.createSymbolicLink(qemuD.resolve("linked-vm"), qemuD.resolve("win10"));

        VfioToolsImport.Report report = new VfioToolsImport(qemuD, etc).run(false);

        Path copy = etc.resolve("hooks.d/win10/prepare/begin/10-own");
        assertThat(Files.getPosixFilePermissions(copy)).isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        assertThat(etc.resolve("hooks.d/win10/prepare/begin/20-link")).doesNotExist();
        assertThat(etc.resolve("hooks.d/win10/release")).doesNotExist();
        assertThat(etc.resolve("hooks.d/linked-vm")).doesNotExist();
        assertThat(report.unmapped()).anyMatch(l -> l.contains("20-link: a symbolic link"))
                .anyMatch(l -> l.contains("release/end: a symbolic link")).anyMatch(l -> l.contains("linked-vm: a symbolic link"));
        assertThat(own).exists();
    }
}
