package io.github.libvirthooks.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.main.Launch;
import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainLauncher;
import io.quarkus.test.junit.main.QuarkusMainTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

@QuarkusMainTest
class DemoCommandTest {
    @Test
    void demoRunsTheWholeLifecycleAndLeavesTheSandboxAsItFoundIt(QuarkusMainLauncher launcher) throws Exception {
        Path dir = Files.createTempDirectory("demo");
        LaunchResult result = launcher.launch("demo", "--dir", dir.toString());

        assertThat(result.exitCode()).isZero();
        String out = result.getOutput();
        assertThat(out).contains("== hook qemu win10-demo prepare begin -");
        assertThat(out).contains("nr_hugepages = 512 (was 0), 512 pages added for win10-demo after 1 round(s)");
        assertThat(out).contains("undo   hugepages: /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages = 0 (was 512)");
        assertThat(out).contains("host tree is exactly as before");
        assertThat(out.indexOf("prepare begin")).isLessThan(out.indexOf("started begin"));
        assertThat(out.indexOf("started begin")).isLessThan(out.indexOf("release end"));
        assertThat(Files.list(dir.resolve("run/libvirt-hooks")).filter(p -> p.toString().endsWith(".journal"))).isEmpty();
    }

    @Test
    @Launch({"--version"})
    void printsItsVersion(LaunchResult result) {
        assertThat(result.getOutput()).startsWith("libvirt-hooks ");
    }

    @Test
    @Launch({"--help"})
    void helpListsTheCommands(LaunchResult result) {
        assertThat(result.getOutput()).contains("Usage: libvirt-hooks").contains("demo");
    }
}
