package io.github.libvirthooks.app.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.app.install.InstallLayout;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** doctor asks the launcher's JDK whether it would use the installed start-up cache. */
class DoctorArchiveTest {
    @TempDir
    Path tmp;
    InstallLayout layout;
    List<List<String>> asked = new ArrayList<>();

    @BeforeEach
    void launcher() throws IOException {
        layout = new InstallLayout(tmp.resolve("root"));
        Files.createDirectories(layout.launcher().getParent());
        Files.createDirectories(layout.libDir());
        Files.writeString(layout.launcher(), "#!/bin/sh\nJAVA='/opt/jdk/bin/java'\nset -- -Xmx64m -cp '/usr/lib/libvirt-hooks/a.jar' Main\n");
    }

    private Check check(int exitStatus) {
        return new Doctor(HostRoot.at(tmp), layout, (argv, timeout) -> {
            asked.add(argv);
            return new CommandResult(argv, exitStatus, "", exitStatus == 0 ? "" : "Unable to use AOT cache");
        }, List.of()).classDataArchive();
    }

    @Test
    void anAotCacheIsCheckedWithTheHooksOptionsAndMustBeUsable() throws IOException {
        Files.writeString(layout.aotCache(), "cache");
        Check ok = check(0);
        assertThat(ok.verdict()).isEqualTo(Check.Verdict.OK);
        assertThat(ok.detail()).contains(layout.aotCache() + " matches /opt/jdk/bin/java");
        assertThat(asked.get(0)).startsWith("/opt/jdk/bin/java").contains("-XX:AOTCache=" + layout.aotCache(), "-XX:AOTMode=on",
                "-XX:+UseSerialGC", "/usr/lib/libvirt-hooks/a.jar").doesNotContain("-Xshare:on");

        Check stale = check(1);
        assertThat(stale.verdict()).isEqualTo(Check.Verdict.WARN);
        assertThat(stale.detail()).contains(layout.aotCache() + " does not match the JDK /opt/jdk/bin/java");
        assertThat(stale.fix()).contains("libvirt-hooks install");
    }

    @Test
    void aClassDataArchiveIsCheckedWithXshareOn() throws IOException {
        Files.writeString(layout.classDataArchive(), "archive");
        assertThat(check(0).verdict()).isEqualTo(Check.Verdict.OK);
        assertThat(asked.get(0)).contains("-XX:SharedArchiveFile=" + layout.classDataArchive(), "-Xshare:on")
                .doesNotContain("-XX:AOTMode=on");
    }

    /** The launcher as install writes it: doctor must find its java and classpath (a changed launcher once hid them). */
    @Test
    void theInstalledLaunchersJavaAndClasspathAreFound() throws IOException {
        String template = Files.readString(Path.of("../deployment/src/main/dist/share/qemu-hook"));
        Files.writeString(layout.launcher(), template.replace("@JAVA@", "/opt/jdk/bin/java")
                .replace("@HOOK_CLASSPATH@", "/usr/lib/libvirt-hooks/a.jar:/usr/lib/libvirt-hooks/b.jar")
                .replace("@JVM_OPTIONS@", String.join(" ", io.github.libvirthooks.app.install.Installer.HOOK_JVM_OPTIONS)));
        Files.writeString(layout.classDataArchive(), "archive");
        assertThat(check(0).verdict()).isEqualTo(Check.Verdict.OK);
        assertThat(asked.get(0)).startsWith("/opt/jdk/bin/java")
                .containsSubsequence("-cp", "/usr/lib/libvirt-hooks/a.jar:/usr/lib/libvirt-hooks/b.jar", "-version");
    }

    @Test
    void noCacheAtAllIsAWarning() {
        Check none = check(0);
        assertThat(none.verdict()).isEqualTo(Check.Verdict.WARN);
        assertThat(none.detail()).contains("no class-data archive");
        assertThat(asked).isEmpty();
    }
}
