package io.github.libvirthooks.features.reliability;

import static io.github.libvirthooks.sysfs.hugetlb.HugePageSize.TWO_MIB;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.testkit.SimulatedHugePages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bugs the reliability suites found in main code, each pinned by a test that fails until the
 * fix landed: they keep the failing cases in the suite.
 */
class FoundBugsRegressionTest {
    @TempDir
    Path tmp;

    @Test
    void restoreRetriesTheCpusetControllerAfterAFailedRelease() {
        Scenario scenario = Scenario.documented().stream().filter(s -> s.name().equals("isolcpu-cgroup")).findFirst().orElseThrow();
        Lifecycle life = new Lifecycle(scenario, tmp);
        TreeSnapshot before = TreeSnapshot.of(life.tree);
        life.run(Steps.counting(), "prepare");
        Steps clean = Steps.counting();
        Lifecycle release = new Lifecycle(scenario, tmp.resolve("probe"));
        release.run(Steps.counting(), "prepare");
        release.hook(clean, "release");
        int subtreeStep = clean.seen().indexOf("write /sys/fs/cgroup/cgroup.subtree_control = -cpuset") + 1;
        assertThat(subtreeStep).isPositive();

        assertThat(life.hook(Steps.failingAt(subtreeStep), "release").status()).isZero();
        life.restore(Steps.counting());

        assertThat(TreeSnapshot.of(life.tree).diff(before)).isEmpty();
    }

    @Test
    void theSimulatedKernelIgnoresWritesToFilesItDoesNotSimulate() throws Exception {
        SimulatedHugePages kernel = new SimulatedHugePages(tmp, 1, TWO_MIB);
        Files.createDirectories(tmp.resolve("sys/fs/cgroup"));
        Files.writeString(tmp.resolve("sys/fs/cgroup/cgroup.subtree_control"), "memory\n");
        HostRoot host = kernel.host();

        host.write("/sys/fs/cgroup/cgroup.subtree_control", "+cpuset");

        assertThat(Files.readAllLines(tmp.resolve("sys/fs/cgroup/cgroup.subtree_control"))).isEqualTo(List.of("+cpuset"));
    }

    @Test
    void aHookKilledBeforeItsHugepageWriteLeavesNoClaimAfterRelease() {
        Scenario scenario = Scenario.documented().get(0);
        Lifecycle life = new Lifecycle(scenario, tmp);
        TreeSnapshot before = TreeSnapshot.of(life.tree);
        try {
            life.run(Steps.crashingBefore(1), "prepare");
        } catch (Steps.Crash expected) {
            // killed
        }
        life.run(Steps.counting(), "stopped");
        assertThat(life.hook(Steps.counting(), "release").status()).isZero();

        assertThat(TreeSnapshot.of(life.tree).diff(before)).isEmpty();
        assertThat(life.journals()).as("the claim of pages never added is cleared").isEmpty();
    }

    @Test
    void aDamagedJournalFieldNamesTheFile() throws Exception {
        Lifecycle life = new Lifecycle(Scenario.documented().get(0), tmp);
        life.run(Steps.counting(), "prepare");
        Path file = life.state.fileFor(Scenario.VM);
        String text = Files.readString(file);
        Files.writeString(file, text.replace("needed=32", "needed=3%"));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> life.state.load(Scenario.VM, ""))
                .hasMessageContaining(file.getFileName().toString());
    }

    @Test
    void deeplyNestedXmlIsRefusedWithOneLine() {
        Hostile.Tally tally = new Hostile.Tally();
        Hostile.Sandbox box = new Hostile.Sandbox(tmp.resolve("box"), t -> { });
        String xml = Scenario.xml("<a>".repeat(200_000) + "win10" + "</a>".repeat(200_000), 64, true, "", "<hugepages/>");
        byte[] bytes = xml.getBytes(java.nio.charset.StandardCharsets.UTF_8);

        box.hook(tally, "prepare", List.of("qemu", "win10", "prepare", "begin", "-"), bytes);
        box.hook(tally, "release", List.of("qemu", "win10", "release", "end", "-"), bytes);

        assertThat(tally.problems).isEmpty();
    }

    @Test
    void aBadCpuListIsReportedOnOneLine() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> io.github.libvirthooks.sysfs.cpu.CpuSet.parseList("1\n2-"))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> io.github.libvirthooks.sysfs.cpu.CpuSet.parseMask("f\n,x"))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
}
