package io.github.libvirthooks.sysfs.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.testkit.FakeHost;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupTest {
    private static final String SCOPE = "machine.slice/machine-qemu\\x2d1\\x2dwin10.scope";

    @TempDir
    Path dir;
    FakeHost tree;
    Cgroup root;

    @BeforeEach
    void setUp() {
        tree = FakeHost.at(dir).cgroup2();
        root = tree.rootCgroup();
    }

    @Test
    void pathsAreRelativeToTheMountAndKeepSystemdBackslashes() {
        Cgroup scope = root.resolve(SCOPE);

        assertThat(scope.path()).isEqualTo(SCOPE);
        assertThat(scope.name()).isEqualTo("machine-qemu\\x2d1\\x2dwin10.scope");
        assertThat(scope.hostPath()).isEqualTo("/sys/fs/cgroup/" + SCOPE);
        assertThat(scope.fileHostPath("cgroup.procs")).isEqualTo("/sys/fs/cgroup/" + SCOPE + "/cgroup.procs");
        assertThat(scope.parent()).contains(root.child("machine.slice"));
        assertThat(root.child("machine.slice").child("machine-qemu\\x2d1\\x2dwin10.scope")).isEqualTo(scope);
        assertThat(root.parent()).isEmpty();
        assertThat(root.resolve("")).isEqualTo(root);
    }

    @Test
    void refusesPathsThatLeaveOrConfuseTheHierarchy() {
        assertThatThrownBy(() -> root.resolve("/machine.slice")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be relative");
        assertThatThrownBy(() -> root.resolve("machine.slice/../../etc")).hasMessageContaining("'..' is not allowed");
        assertThatThrownBy(() -> root.resolve("./machine.slice")).hasMessageContaining("'.' is not allowed");
        assertThatThrownBy(() -> root.resolve("machine.slice//x")).hasMessageContaining("empty path component");
        assertThatThrownBy(() -> root.resolve("machine.slice/")).hasMessageContaining("empty path component");
        assertThatThrownBy(() -> root.resolve("a\0b")).hasMessageContaining("NUL byte");
        assertThatThrownBy(() -> root.resolve("a\nb")).hasMessageContaining("newline");
        assertThatThrownBy(() -> root.resolve("x".repeat(256))).hasMessageContaining("longer than 255 bytes");
        assertThatThrownBy(() -> root.child("a/b")).hasMessageContaining("must not contain '/'");
        assertThatThrownBy(() -> root.child("..")).hasMessageContaining("'..' is not allowed");
        assertThatThrownBy(() -> root.fileHostPath("../cgroup.procs")).hasMessageContaining("is not a cgroup file name");
    }

    @Test
    void existsOnlyWhenTheDirectoryIsThere() {
        tree.cgroup("machine.slice", "cpuset cpu");

        assertThat(root.exists()).isTrue();
        assertThat(root.child("machine.slice").exists()).isTrue();
        assertThat(root.child("system.slice").exists()).isFalse();
    }

    @Test
    void childrenListsOnlyDirectories() {
        tree.cgroup("machine.slice", "").cgroup("system.slice", "").cgroup("init.scope", "");

        assertThat(root.children()).extracting(Cgroup::name).containsExactly("init.scope", "machine.slice", "system.slice");
    }

    @Test
    void controllersAndSubtreeControlAreSetsInKernelOrder() {
        tree.file("/sys/fs/cgroup/cgroup.subtree_control", "cpuset cpu memory");

        assertThat(root.controllers()).containsExactly("cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc");
        assertThat(root.subtreeControl()).containsExactly("cpuset", "cpu", "memory");
    }

    @Test
    void enableControllersWritesOnlyTheMissingOnesAndReturnsTheUndoCommand() {
        tree.file("/sys/fs/cgroup/cgroup.subtree_control", "cpu memory");

        Change change = root.enableControllers("cpuset", "cpu", "io");

        assertThat(change).isEqualTo(new Change("/sys/fs/cgroup/cgroup.subtree_control", "-cpuset -io", "+cpuset +io"));
        assertThat(tree.content("/sys/fs/cgroup/cgroup.subtree_control")).isEqualTo("+cpuset +io");
    }

    @Test
    void enablingControllersAlreadyEnabledWritesNothing() {
        tree.file("/sys/fs/cgroup/cgroup.subtree_control", "cpuset cpu");

        Change change = root.enableControllers("cpu");

        assertThat(change.isNoOp()).isTrue();
        assertThat(tree.content("/sys/fs/cgroup/cgroup.subtree_control")).isEqualTo("cpuset cpu\n");
    }

    @Test
    void disableControllersReturnsTheEnableCommandAsUndo() {
        tree.cgroup("machine.slice", "cpuset cpu").file("/sys/fs/cgroup/machine.slice/cgroup.subtree_control", "cpuset cpu");

        Change change = root.child("machine.slice").disableControllers("cpuset", "memory");

        assertThat(change).isEqualTo(new Change("/sys/fs/cgroup/machine.slice/cgroup.subtree_control", "+cpuset", "-cpuset"));
    }

    @Test
    void switchControllerWritesTheCommandEvenWhenTheFileAlreadySaysSo() {
        tree.file("/sys/fs/cgroup/cgroup.subtree_control", "cpuset cpu");

        Change change = root.switchController("cpuset", true);

        assertThat(change).isEqualTo(new Change("/sys/fs/cgroup/cgroup.subtree_control", "-cpuset", "+cpuset"));
        assertThat(tree.content("/sys/fs/cgroup/cgroup.subtree_control")).isEqualTo("+cpuset");
        assertThat(root.switchController("cpuset", false).after()).isEqualTo("-cpuset");
        assertThatThrownBy(() -> root.switchController("cpu +memory", true)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aCgroupKnownByItsDirectoryAloneReadsAndWritesItsOwnFiles() {
        tree.cgroup("system.slice", "cpuset cpu").file("/sys/fs/cgroup/system.slice/cpuset.cpus", "0-7");

        Cgroup slice = Cgroup.atDirectory(tree.host(), "/sys/fs/cgroup/system.slice");

        assertThat(slice.hostPath()).isEqualTo("/sys/fs/cgroup/system.slice");
        assertThat(slice.isRoot()).isFalse();
        assertThat(slice.cpuset().cpus().toList()).isEqualTo("0-7");
        assertThatThrownBy(() -> Cgroup.atDirectory(tree.host(), "/sys/fs/cgroup/../../etc")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Cgroup.atDirectory(tree.host(), "sys/fs/cgroup")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Cgroup.atDirectory(tree.host(), "/sys/fs/cgroup/")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void enablingAControllerTheParentDoesNotPassDownSaysWhatToDo() {
        tree.cgroup("machine.slice", "cpu memory");

        assertThatThrownBy(() -> root.child("machine.slice").enableControllers("cpuset"))
                .isInstanceOf(CgroupException.class)
                .hasMessageContaining("cannot enable controller 'cpuset' for the children of cgroup machine.slice")
                .hasMessageContaining("not in its cgroup.controllers (cpu memory)")
                .hasMessageContaining("enable it in the parent's cgroup.subtree_control first");
        assertThat(tree.content("/sys/fs/cgroup/machine.slice/cgroup.subtree_control")).isEmpty();
    }

    @Test
    void controllerNamesAreChecked() {
        assertThatThrownBy(() -> root.enableControllers("cpu +memory")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a cgroup controller name");
        assertThatThrownBy(() -> root.enableControllers()).hasMessageContaining("at least one controller");
    }

    @Test
    void kernelRefusalMentionsTheNoInternalProcessRule() {
        tree.cgroup("machine.slice", "cpuset cpu").file("/sys/fs/cgroup/machine.slice/cgroup.procs", "1234");
        HostRoot refusing = tree.host().withListener(change -> {
            throw new java.io.IOException("Device or resource busy");
        });
        Cgroup slice = Cgroup.root(refusing, FakeHost.CGROUP).child("machine.slice");

        assertThatThrownBy(() -> slice.enableControllers("cpuset"))
                .isInstanceOf(CgroupException.class)
                .hasMessageContaining("Device or resource busy")
                .hasMessageContaining("has processes of its own");
    }

    @Test
    void procsAndThreadsAreParsedAsPids() {
        tree.file("/sys/fs/cgroup/cgroup.procs", "1")
                .cgroup("machine.slice", "")
                .file("/sys/fs/cgroup/machine.slice/cgroup.procs", "1234\n5678")
                .file("/sys/fs/cgroup/machine.slice/cgroup.threads", "1234\n1240\n0\n5678");
        Cgroup slice = root.child("machine.slice");

        assertThat(slice.procs()).containsExactly(1234, 5678);
        assertThat(slice.threads()).containsExactly(1234, 1240, 5678);
        assertThat(root.procs()).containsExactly(1);
    }

    @Test
    void garbageInCgroupProcsIsNamedWithItsLine() {
        tree.cgroup("machine.slice", "").file("/sys/fs/cgroup/machine.slice/cgroup.procs", "12\nabc");

        assertThatThrownBy(() -> root.child("machine.slice").procs())
                .isInstanceOf(CgroupException.class)
                .hasMessage("/sys/fs/cgroup/machine.slice/cgroup.procs line 2: expected a process id, found 'abc'");
    }

    @Test
    void readingAMissingCgroupSaysItDoesNotExist() {
        assertThatThrownBy(() -> root.child("nope.slice").controllers())
                .isInstanceOf(CgroupException.class)
                .hasMessage("cgroup nope.slice does not exist (no directory /sys/fs/cgroup/nope.slice)");
    }

    @Test
    void readingAMissingFileSaysTheKernelDoesNotOfferIt() {
        tree.cgroup("machine.slice", "");

        assertThatThrownBy(() -> root.child("machine.slice").readFile("memory.max"))
                .isInstanceOf(CgroupException.class)
                .hasMessage("cgroup machine.slice has no memory.max: the kernel does not offer it");
    }

    @Test
    void writeFileReturnsTheChange() {
        tree.cgroup("machine.slice", "").file("/sys/fs/cgroup/machine.slice/memory.high", "max");

        Change change = root.child("machine.slice").writeFile("memory.high", "1073741824");

        assertThat(change).isEqualTo(new Change("/sys/fs/cgroup/machine.slice/memory.high", "max", "1073741824"));
    }

    @Test
    void rootAtFilesystemRootBuildsCleanPaths() {
        Cgroup top = Cgroup.root(tree.host(), "/");

        assertThat(top.hostPath()).isEqualTo("/");
        assertThat(top.child("a").hostPath()).isEqualTo("/a");
        assertThat(top.fileHostPath("cgroup.procs")).isEqualTo("/cgroup.procs");
        assertThat(Cgroup.root(tree.host(), "/sys/fs/cgroup/").hostPath()).isEqualTo("/sys/fs/cgroup");
        assertThatThrownBy(() -> Cgroup.root(tree.host(), "sys/fs/cgroup")).hasMessageContaining("must be an absolute path");
    }
}
