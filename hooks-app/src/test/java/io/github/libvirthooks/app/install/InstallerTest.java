package io.github.libvirthooks.app.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstallerTest {
    private static final Path SHARE = Path.of("../deployment/src/main/dist/share");
    private static final Installer.GeneratedDocs DOCS = new Installer.GeneratedDocs("complete -F _x libvirt-hooks\n", ".TH X 1\n");
    private static final String SKELETON = "# libvirt-hooks configuration\n# libvirt-hooks.state-dir=/run/libvirt-hooks\n";

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
                "io.smallrye.config.smallrye-config-3.jar", "io.smallrye.config.smallrye-config-core-3.jar",
                "io.smallrye.common.smallrye-common-constraint-2.jar",
                "org.eclipse.microprofile.config.microprofile-config-api-3.jar", "org.jboss.logging.jboss-logging-3.jar", "org.ow2.asm.asm-9.jar",
                "io.quarkus.quarkus-core-3.jar")) {
            Files.writeString(dist.resolve("app/lib/main").resolve(jar), "");
        }
        Files.createDirectories(dist.resolve("share"));
        for (String f : List.of("qemu-hook", "libvirt-hooks", "systemd/libvirt-hooks-sleep.service",
                "systemd/libvirt-hooks-shutdown.service")) {
            Files.createDirectories(dist.resolve("share").resolve(f).getParent());
            Files.copy(SHARE.resolve(f), dist.resolve("share").resolve(f));
        }
        root = tmp.resolve("root");
        layout = new InstallLayout(root);
    }

    @Test
    void installsEveryPieceWithTheRightModes() throws IOException {
        Installer.InstallResult result = installer().install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);

        assertThat(mode(layout.launcher())).isEqualTo("rwxr-xr-x");
        assertThat(Files.readString(layout.completion())).isEqualTo(DOCS.bashCompletion());
        assertThat(Files.readString(layout.unit("libvirt-hooks-sleep.service")))
                .contains("ExecStart=-" + layout.command() + " host-sleep pre").doesNotContain("@COMMAND@");
        assertThat(Files.readString(layout.unit("libvirt-hooks-shutdown.service"))).contains("ExecStop=" + layout.command());
        assertThat(out).anyMatch(l -> l.contains("enable the units later"));
        assertThat(out).anyMatch(l -> l.contains("could not build the hook's class-data archive (Error: could not find main class)"));
        assertThat(Files.readString(layout.launcher())).contains("-XX:TieredStopAtLevel=1").contains("hooks-features-1.jar")
                .doesNotContain("@JVM_OPTIONS@", "@HOOK_CLASSPATH@");
        assertThat(Files.readString(layout.manPage())).isEqualTo(DOCS.manPage());
        assertThat(mode(layout.command())).isEqualTo("rwxr-xr-x");
        assertThat(Files.readString(layout.config())).isEqualTo(SKELETON, DOCS);
        String launcher = Files.readString(layout.launcher());
        assertThat(launcher).doesNotContain("@LIBDIR@", "@CONFIG@", "@STATEDIR@", "@JAVA@")
                .contains("LIBDIR='" + layout.libDir() + "'")
                .contains("JAVA='/usr/bin/java'");
        assertThat(Files.readString(layout.hookClasspath())).contains("hooks-features-1.jar").contains("smallrye-config-core-3.jar")
                .doesNotContain("quarkus-core");
        assertThat(layout.libDir().resolve("app/quarkus-run.jar")).exists();
        assertThat(result.libvirtdMustRestart()).isTrue();
        assertThat(out).anyMatch(l -> l.contains("restart it once"));
    }

    @Test
    void installIsIdempotentAndKeepsTheUsersConfiguration() throws IOException {
        installer().install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);
        Files.writeString(layout.config(), "libvirt-hooks.lock-timeout=5s\n");

        Installer.InstallResult again = installer().install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);

        assertThat(Files.readString(layout.config())).isEqualTo("libvirt-hooks.lock-timeout=5s\n");
        assertThat(again.libvirtdMustRestart()).as("our own launcher now enables hooks").isFalse();
    }

    @Test
    void neverTouchesAnotherToolsMonolithicHook() throws IOException {
        Files.createDirectories(layout.monolithicHook().getParent());
        Files.writeString(layout.monolithicHook(), "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(layout.monolithicHook(), PosixFilePermissions.fromString("rwxr-xr-x"));

        Installer.InstallResult result = installer().install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);
        installer().uninstall(false, SKELETON);

        assertThat(Files.readString(layout.monolithicHook())).isEqualTo("#!/bin/sh\nexit 0\n");
        assertThat(result.libvirtdMustRestart()).isFalse();
    }

    @Test
    void uninstallLeavesNoFileOfOursBehind() throws IOException {
        Files.createDirectories(layout.hookDir());
        Files.writeString(layout.hookDir().resolve("other-tool"), "x");
        installer().install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);
        Files.createDirectories(layout.stateDir());
        Files.writeString(layout.stateDir().resolve("lock"), "");
        Files.writeString(layout.stateDir().resolve("hooks.log"), "a line\n");

        installer().uninstall(false, SKELETON);

        assertThat(layout.stateDir()).doesNotExist();
        try (Stream<Path> left = Files.walk(root)) {
            assertThat(left.filter(Files::isRegularFile).map(root::relativize).map(Path::toString))
                    .containsExactly("etc/libvirt/hooks/qemu.d/other-tool");
        }
    }

    @Test
    void uninstallRemovesTheDirectoriesInstallCreatedEvenAfterAReinstall() throws IOException {
        Files.createDirectories(root.resolve("usr/share/man/man1"));
        installer().install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);
        assertThat(Files.readAllLines(layout.manifest())).contains("etc/libvirt/hooks/qemu.d/", "etc/libvirt/hooks/",
                "usr/share/bash-completion/completions/").doesNotContain("usr/share/man/man1/", "usr/share/man/");
        // A second install (an upgrade) finds the directories there: they stay listed.
        installer().install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);

        installer().uninstall(false, SKELETON);

        assertThat(layout.hookDir().getParent()).doesNotExist();
        assertThat(root.resolve("usr/share/bash-completion")).doesNotExist();
        assertThat(root.resolve("usr/share/man/man1")).as("there before the install").isEmptyDirectory();
    }

    @Test
    void aDirectoryInstallCreatedStaysWhileAnotherToolsFileIsInIt() throws IOException {
        installer().install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);
        Files.writeString(layout.hookDir().resolve("other-tool"), "x");

        installer().uninstall(false, SKELETON);

        assertThat(layout.hookDir().resolve("other-tool")).hasContent("x");
        assertThat(layout.launcher()).doesNotExist();
    }

    @Test
    void uninstallKeepsAnEditedConfiguration() throws IOException {
        installer().install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);
        Files.writeString(layout.config(), "libvirt-hooks.lock-timeout=5s\n");
        installer().uninstall(false, SKELETON);
        assertThat(layout.config()).exists();
        assertThat(out).anyMatch(l -> l.contains("kept your edited configuration"));
    }

    @Test
    void uninstallRefusesWhileVmsHaveStateUnlessForced() throws IOException {
        installer().install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);
        Files.createDirectories(layout.stateDir());
        Files.writeString(layout.stateDir().resolve("vm-win10-0123456789abcdef.journal"), "x");

        assertThatThrownBy(() -> installer().uninstall(false, SKELETON))
                .isInstanceOf(InstallException.class).hasMessageContaining("1 VM(s) still have host changes applied");
        assertThat(layout.launcher()).exists();
        installer().uninstall(true, SKELETON);
        assertThat(layout.launcher()).doesNotExist();
    }

    @Test
    void installedInPlaceByAPackageLeavesThePackagesFilesAndConfigToIt() throws IOException {
        try (Stream<Path> files = Files.walk(dist)) {
            for (Path source : files.toList()) {
                Path target = layout.libDir().resolve(dist.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
        Files.createDirectories(layout.config().getParent());
        Files.writeString(layout.config(), SKELETON);

        installer().install(layout.libDir(), Path.of("/usr/bin/java"), SKELETON, DOCS);
        assertThat(Files.readAllLines(layout.manifest())).doesNotContain("usr/lib/libvirt-hooks/app", "usr/lib/libvirt-hooks/share")
                .contains("etc/libvirt/hooks/qemu.d/libvirt-hooks");
        installer().uninstall(false, SKELETON, true);

        assertThat(layout.launcher()).doesNotExist();
        assertThat(layout.manifest()).doesNotExist();
        assertThat(layout.libDir().resolve("app/quarkus-run.jar")).exists();
        assertThat(layout.libDir().resolve("share/qemu-hook")).exists();
        assertThat(Files.readString(layout.config())).isEqualTo(SKELETON);
    }

    @Test
    void refusesSomethingThatIsNotADistribution() {
        assertThatThrownBy(() -> installer().install(tmp, Path.of("/usr/bin/java"), SKELETON, DOCS))
                .hasMessageContaining("is not a libvirt-hooks distribution");
    }

    private Installer installer() {
        return new Installer(layout, out::add, (argv, timeout) -> {
            // Only the training runs for the class-data archives may run here; these fake jars make them fail.
            assertThat(argv).anyMatch(a -> a.startsWith("-XX:ArchiveClassesAtExit=") || a.startsWith("-XX:AOTCacheOutput="));
            return new io.github.libvirthooks.sysfs.exec.CommandResult(argv, 1, "", "Error: could not find main class");
        });
    }

    @Test
    void theHookGetsAnAotCacheOnJdk25AndAClassDataArchiveBefore() throws IOException {
        List<List<String>> trainings = new ArrayList<>();
        Installer installer = new Installer(layout, out::add, (argv, timeout) -> {
            if (argv.contains("--train")) {
                trainings.add(argv);
                // What the JVM would write: the cache its option names.
                String option = argv.stream().filter(a -> a.startsWith("-XX:AOTCacheOutput=") || a.startsWith("-XX:ArchiveClassesAtExit="))
                        .findFirst().orElseThrow();
                try {
                    Files.writeString(Path.of(option.substring(option.indexOf('=') + 1)), "cache");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return new io.github.libvirthooks.sysfs.exec.CommandResult(argv, 0, "", "");
            }
            return new io.github.libvirthooks.sysfs.exec.CommandResult(argv, 1, "", "not in this test");
        });

        installer.install(dist, jdk("17.0.15"), SKELETON, DOCS);
        assertThat(trainings.get(0)).anyMatch(a -> a.equals("-XX:ArchiveClassesAtExit=" + layout.classDataArchive()))
                .containsSubsequence(Installer.HOOK_JVM_OPTIONS);
        assertThat(layout.classDataArchive()).exists();
        assertThat(layout.aotCache()).doesNotExist();

        installer.install(dist, jdk("25.0.3"), SKELETON, DOCS);
        assertThat(trainings.get(1)).anyMatch(a -> a.equals("-XX:AOTCacheOutput=" + layout.aotCache()))
                .containsSubsequence(Installer.HOOK_JVM_OPTIONS);
        assertThat(layout.aotCache()).exists();
        assertThat(layout.classDataArchive()).as("the JDK 17 archive is stale").doesNotExist();
        assertThat(out).anyMatch(l -> l.contains("built the hook's AOT cache " + layout.aotCache()));
        assertThat(Files.readString(layout.launcher())).contains("-XX:AOTCache=\"$LIBDIR/hook.aot\"");

        installer.uninstall(false, SKELETON);
        assertThat(layout.aotCache()).doesNotExist();
    }

    @Test
    void anInstallOverTheSameJarsAndJdkKeepsTheCachesAndAnyChangeTrainsThemAgain() throws IOException {
        List<String> trained = new ArrayList<>();
        Installer installer = new Installer(layout, out::add, (argv, timeout) -> {
            String option = argv.stream().filter(a -> a.startsWith("-XX:AOTCacheOutput=") || a.startsWith("-XX:ArchiveClassesAtExit="))
                    .findFirst().orElseThrow();
            trained.add(Path.of(option.substring(option.indexOf('=') + 1)).getFileName().toString());
            try {
                Files.writeString(Path.of(option.substring(option.indexOf('=') + 1)), "cache");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return new io.github.libvirthooks.sysfs.exec.CommandResult(argv, 0, "", "");
        });
        Path java17 = jdk("17.0.15");

        installer.install(dist, java17, SKELETON, DOCS);
        assertThat(trained).containsExactly("hook.jsa", "cli.jsa");
        installer.install(dist, java17, SKELETON, DOCS);
        assertThat(trained).as("same jars, same JDK: both kept").hasSize(2);
        assertThat(out).anyMatch(l -> l.startsWith("kept the hook's class-data archive " + layout.classDataArchive()))
                .anyMatch(l -> l.startsWith("kept the command's class-data archive"));

        // A jar the JVM would see as changed (its time), as after an upgrade that rewrote it: both trained again.
        Path jar = layout.libDir().resolve("app/lib/main/io.github.libvirthooks.hooks-features-1.jar");
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() - 60_000));
        Files.setLastModifiedTime(dist.resolve("app/lib/main/io.github.libvirthooks.hooks-features-1.jar"),
                Files.getLastModifiedTime(jar));
        installer.install(dist, java17, SKELETON, DOCS);
        assertThat(trained).hasSize(4);

        // The same JDK updated in place (its modules file): trained again.
        Files.writeString(java17.getParent().getParent().resolve("lib/modules"), "modules of 17.0.16");
        installer.install(dist, java17, SKELETON, DOCS);
        assertThat(trained).hasSize(6);

        installer.uninstall(false, SKELETON);
        assertThat(CacheInputs.record(layout.classDataArchive())).doesNotExist();
        assertThat(CacheInputs.record(layout.libDir().resolve("cli.jsa"))).doesNotExist();
    }

    /** A JDK's layout as far as install reads it: bin/java and the release file. */
    private Path jdk(String version) throws IOException {
        Path home = tmp.resolve("jdk-" + version);
        Files.createDirectories(home.resolve("bin"));
        Files.writeString(home.resolve("bin/java"), "#!/bin/sh\n");
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + version + "\"\n");
        Files.createDirectories(home.resolve("lib"));
        Files.writeString(home.resolve("lib/modules"), "modules of " + version);
        return home.resolve("bin/java");
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void aNativeExecutableInTheDistributionIsInstalledForTheLauncher() throws IOException {
        Files.createDirectories(dist.resolve("bin"));
        Files.writeString(dist.resolve("bin/hooks-app-1-runner"), "#!/bin/sh\n");
        installer().install(dist, Path.of("/usr/bin/java"), SKELETON, DOCS);

        Path nativeExecutable = layout.libDir().resolve("bin/libvirt-hooks-native");
        assertThat(mode(nativeExecutable)).isEqualTo("rwxr-xr-x");
        assertThat(Files.readString(layout.launcher())).contains("\"$LIBDIR/bin/libvirt-hooks-native\" hook qemu");
        installer().uninstall(false, SKELETON);
        assertThat(nativeExecutable).doesNotExist();
    }
}
