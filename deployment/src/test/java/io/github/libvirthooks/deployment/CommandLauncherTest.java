package io.github.libvirthooks.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code libvirt-hooks} command's launcher: host-sleep and host-shutdown, which the units run
 * at every host suspend and power-off, start on the hook's plain entry; everything else, and
 * their help, on the full command. The JVM is a script that records its argv.
 */
class CommandLauncherTest {
    private static final Path LAUNCHER = Path.of("src/main/dist/share/libvirt-hooks");
    private static final String PLAIN = "io.github.libvirthooks.features.hostpower.HostPowerMain";

    @TempDir
    Path tmp;
    Path lib;
    Path command;
    Path calls;

    @BeforeEach
    void install() throws IOException {
        lib = Files.createDirectories(tmp.resolve("lib with space"));
        calls = tmp.resolve("calls");
        Files.writeString(lib.resolve("hook.classpath"), lib + "/app/lib/main/hooks-features.jar:" + lib + "/app/lib/main/hooks-sysfs.jar");
        Path java = tmp.resolve("java");
        Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done >> '" + calls + "'\necho >> '" + calls + "'\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        command = tmp.resolve("libvirt-hooks");
        Files.writeString(command, Files.readString(LAUNCHER).replace("@LIBDIR@", lib.toString()).replace("@JAVA@", java.toString())
                .replace("@JVM_OPTIONS@", "-XX:+UseSerialGC -Xmx64m"));
        Files.setPosixFilePermissions(command, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void whatTheUnitsRunStartsThePlainEntryOnTheHooksClasspathWithItsArgumentsIntact() throws Exception {
        run("host-sleep", "pre", "--timeout", "180s");
        run("host-shutdown", "--timeout", "240s", "--uri", "qemu:///system?a b");
        List<String> lines = Files.readAllLines(calls);
        String classpath = Files.readString(lib.resolve("hook.classpath"));
        assertThat(lines.get(0)).isEqualTo("[-XX:+UseSerialGC][-Xmx64m][-Dlibvirt-hooks.features-dir=" + lib + "/features][-cp]["
                + classpath + "][" + PLAIN + "][host-sleep][pre][--timeout][180s]");
        assertThat(lines.get(1)).endsWith("[" + PLAIN + "][host-shutdown][--timeout][240s][--uri][qemu:///system?a b]");
    }

    @Test
    void theHooksClassDataArchiveIsUsedWhenInstallBuiltIt() throws Exception {
        Files.writeString(lib.resolve("hook.jsa"), "");
        run("host-sleep", "post");
        assertThat(Files.readString(calls)).startsWith("[-XX:SharedArchiveFile=" + lib + "/hook.jsa][-Xshare:auto][-Xlog:disable]")
                .contains("[" + PLAIN + "][host-sleep][post]");
    }

    @Test
    void theHooksAotCacheIsPreferredOnJdk25() throws Exception {
        Files.writeString(lib.resolve("hook.jsa"), "");
        Files.writeString(lib.resolve("hook.aot"), "");
        run("host-shutdown");
        assertThat(Files.readString(calls)).startsWith("[-XX:AOTCache=" + lib + "/hook.aot][-Xlog:disable][-XX:+UseSerialGC]")
                .doesNotContain("hook.jsa").contains("[" + PLAIN + "][host-shutdown]");
    }

    @Test
    void helpVersionAndEveryOtherCommandRunTheFullCommand() throws Exception {
        run("host-sleep", "--help");
        run("host-shutdown", "-V");
        run("status");
        run("--", "host-sleep");
        for (String line : Files.readAllLines(calls)) {
            assertThat(line).doesNotContain(PLAIN).contains("[-jar][" + lib + "/app/quarkus-run.jar]");
        }
    }

    @Test
    void withoutTheHooksClasspathTheFullCommandRunsThem() throws Exception {
        Files.delete(lib.resolve("hook.classpath"));
        run("host-sleep", "pre");
        assertThat(Files.readString(calls)).doesNotContain(PLAIN).contains("[-jar][" + lib + "/app/quarkus-run.jar][host-sleep][pre]");
    }

    private void run(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(command.toString()));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
    }
}
