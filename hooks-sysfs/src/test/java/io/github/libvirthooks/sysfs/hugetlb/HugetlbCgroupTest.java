package io.github.libvirthooks.sysfs.hugetlb;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

import static io.github.libvirthooks.sysfs.hugetlb.HugePageSize.ONE_GIB;
import static io.github.libvirthooks.sysfs.hugetlb.HugePageSize.TWO_MIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HugetlbCgroupTest {
    private static final String VM = "/sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dwin.scope";

    @TempDir
    Path root;

    private HostRoot host;
    private HugetlbCgroup cgroup;

    @BeforeEach
    void layOutCgroup() throws IOException {
        file(VM + "/hugetlb.2MB.max", "max\n");
        file(VM + "/hugetlb.2MB.current", "4194304\n");
        file(VM + "/hugetlb.2MB.rsvd.max", "max\n");
        host = HostRoot.at(root);
        cgroup = new HugetlbCgroup(host, VM + "/");
    }

    private void file(String hostPath, String content) throws IOException {
        Path p = root.resolve(hostPath.substring(1));
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
    }

    @Test
    void filesAreNamedWithTheKernelsCgroupSpelling() {
        assertThat(cgroup.cgroupDir()).isEqualTo(VM);
        assertThat(cgroup.maxPath(TWO_MIB)).isEqualTo(VM + "/hugetlb.2MB.max");
        assertThat(cgroup.currentPath(ONE_GIB)).isEqualTo(VM + "/hugetlb.1GB.current");
    }

    @Test
    void unlimitedReadsAsEmpty() {
        assertThat(cgroup.max(TWO_MIB)).isEmpty();
        assertThat(cgroup.current(TWO_MIB)).isEqualTo(4L << 20);
    }

    @Test
    void setMaxReturnsTheExactChange() {
        Change change = cgroup.setMaxPages(TWO_MIB, 512);

        assertThat(change).isEqualTo(new Change(VM + "/hugetlb.2MB.max", "max", "1073741824"));
        assertThat(cgroup.max(TWO_MIB)).isEqualTo(OptionalLong.of(1L << 30));
        assertThat(cgroup.setMaxUnlimited(TWO_MIB)).isEqualTo(new Change(VM + "/hugetlb.2MB.max", "1073741824", "max"));
    }

    @Test
    void partialPagesAreRefusedBeforeTheKernelRoundsThemDown() {
        assertThatThrownBy(() -> cgroup.setMax(TWO_MIB, 3 << 20))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("whole number of 2 MiB pages");
    }

    @Test
    void malformedValueIsNamed() throws IOException {
        file(VM + "/hugetlb.2MB.max", "unlimited\n");

        assertThatThrownBy(() -> cgroup.max(TWO_MIB))
                .isInstanceOf(HostAccessException.class)
                .hasMessage(VM + "/hugetlb.2MB.max: expected a number of bytes or 'max', found 'unlimited'");
    }

    @Test
    void missingControllerFileSaysHowToEnableIt() {
        assertThatThrownBy(() -> cgroup.setMaxPages(ONE_GIB, 1))
                .isInstanceOf(HugePagesUnsupportedException.class)
                .hasMessageContaining(VM + "/hugetlb.1GB.max does not exist")
                .hasMessageContaining("+hugetlb");
        assertThat(cgroup.isEnabled(ONE_GIB)).isFalse();
        assertThat(cgroup.isEnabled(TWO_MIB)).isTrue();
    }

    @Test
    void missingCgroupIsNamed() {
        HugetlbCgroup gone = new HugetlbCgroup(host, "/sys/fs/cgroup/gone.scope");

        assertThatThrownBy(() -> gone.current(TWO_MIB))
                .isInstanceOf(HostAccessException.class)
                .hasMessage("hugetlb cgroup: no cgroup /sys/fs/cgroup/gone.scope");
    }

    @Test
    void relativeCgroupPathIsRefused() {
        assertThatThrownBy(() -> new HugetlbCgroup(host, "machine.slice"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
