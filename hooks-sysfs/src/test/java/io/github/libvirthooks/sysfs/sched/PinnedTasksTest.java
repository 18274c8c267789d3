package io.github.libvirthooks.sysfs.sched;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PinnedTasksTest {
    @TempDir
    Path root;

    private void process(int pid, String name, String allowed, String cgroup) throws IOException {
        Path dir = Files.createDirectories(root.resolve("proc/" + pid));
        Files.writeString(dir.resolve("status"), "Name:\t" + name + "\nState:\tS (sleeping)\nCpus_allowed:\tf\nCpus_allowed_list:\t"
                + allowed + "\nMems_allowed_list:\t0\n");
        Files.writeString(dir.resolve("cgroup"), cgroup == null ? "" : "0::" + cgroup + "\n");
    }

    @Test
    void findsTheProcessesPinnedByHandInTheSubtreesAskedFor() throws IOException {
        process(1, "systemd", "0-3", "/init.scope");
        process(200, "sleep", "1", "/user.slice/lab-pinned.service");
        process(201, "irqbalance", "0-1", "/system.slice/irqbalance.service");
        process(300, "qemu", "2-3", "/machine.slice/machine-qemu.scope");
        process(2, "kthreadd", "0", null);
        Files.createDirectories(root.resolve("proc/self"));
        Files.createDirectories(root.resolve("proc/sys/kernel"));

        List<PinnedTasks.Pinned> pinned = new PinnedTasks(HostRoot.at(root)).in(List.of("/init.scope", "/system.slice", "/user.slice"),
                CpuSet.parseList("0-3"));

        assertThat(pinned).extracting(PinnedTasks.Pinned::pid).containsExactly(200, 201);
        assertThat(pinned.get(0)).hasToString("200 (sleep, CPUs 1)");
        assertThat(pinned.get(1).cgroup()).isEqualTo("/system.slice/irqbalance.service");
    }

    @Test
    void kernelsBeforeSixTwoResetTheAffinity() throws IOException {
        Path release = Files.createDirectories(root.resolve("proc/sys/kernel")).resolve("osrelease");
        PinnedTasks tasks = new PinnedTasks(HostRoot.at(root));
        for (String r : List.of("6.1.0-50-amd64", "5.15.0-91-generic", "4.19.0")) {
            Files.writeString(release, r + "\n");
            assertThat(tasks.kernelResetsAffinity()).as(r).isTrue();
        }
        for (String r : List.of("6.2.0", "6.18.44-fc", "7.0.1")) {
            Files.writeString(release, r + "\n");
            assertThat(tasks.kernelResetsAffinity()).as(r).isFalse();
        }
        Files.writeString(release, "garbage\n");
        assertThat(tasks.kernelResetsAffinity()).isFalse();
    }

    @Test
    void garbageAndVanishedProcessesAreLeftOut() throws IOException {
        process(5, "odd", "not-a-list", "/user.slice");
        Files.createDirectories(root.resolve("proc/6"));
        process(7, "ok\nname", "0", "/user.slice/x");
        List<PinnedTasks.Pinned> pinned = new PinnedTasks(HostRoot.at(root)).in(List.of("/user.slice"), CpuSet.parseList("0-1"));
        assertThat(pinned).extracting(PinnedTasks.Pinned::pid).containsExactly(7);
    }
}
