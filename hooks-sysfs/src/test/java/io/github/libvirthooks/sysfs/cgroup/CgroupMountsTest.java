package io.github.libvirthooks.sysfs.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.FakeTree;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupMountsTest {
    private static CgroupMounts of(String text) {
        return CgroupMounts.of(Mountinfo.parse(text));
    }

    @Test
    void pureUnifiedHostIsV2() {
        CgroupMounts mounts = of(MountinfoSamples.V2);

        assertThat(mounts.version()).isEqualTo(CgroupVersion.V2);
        assertThat(mounts.unifiedMountPoint()).contains("/sys/fs/cgroup");
        assertThat(mounts.v1Mounts()).isEmpty();
    }

    @Test
    void v1ControllersWithACgroup2MountIsHybrid() {
        CgroupMounts mounts = of(MountinfoSamples.HYBRID);

        assertThat(mounts.version()).isEqualTo(CgroupVersion.HYBRID);
        assertThat(mounts.unifiedMountPoint()).contains("/sys/fs/cgroup/unified");
        assertThat(mounts.v1Controllers()).containsExactly("cpu", "cpuacct", "cpuset", "memory");
    }

    @Test
    void onlyV1HierarchiesIsV1() {
        CgroupMounts mounts = of(MountinfoSamples.V1);

        assertThat(mounts.version()).isEqualTo(CgroupVersion.V1);
        assertThat(mounts.unifiedMount()).isEmpty();
    }

    @Test
    void noCgroupMountIsNone() {
        assertThat(of(MountinfoSamples.NONE).version()).isEqualTo(CgroupVersion.NONE);
    }

    @Test
    void aNamedV1HierarchyAloneDoesNotMakeAV2HostHybrid() {
        String text = MountinfoSamples.V2
                + "60 26 0:60 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n";

        assertThat(of(text).version()).isEqualTo(CgroupVersion.V2);
    }

    @Test
    void prefersTheStandardMountPointOverOtherCgroup2Mounts() {
        String text = """
                70 28 0:24 /machine.slice /srv/container/sys/fs/cgroup rw - cgroup2 cgroup2 rw
                26 23 0:24 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw
                """;

        assertThat(of(text).unifiedMountPoint()).contains("/sys/fs/cgroup");
    }

    @Test
    void otherwisePrefersAMountOfTheHierarchyRoot() {
        String text = """
                70 28 0:24 /machine.slice /srv/a rw - cgroup2 cgroup2 rw
                71 28 0:24 / /srv/b rw - cgroup2 cgroup2 rw
                """;

        assertThat(of(text).unifiedMountPoint()).contains("/srv/b");
    }

    @Test
    void unifiedRootIsACgroupAtTheMountPoint(@TempDir Path dir) {
        FakeTree tree = new FakeTree(dir).file(Mountinfo.PATH, MountinfoSamples.HYBRID);
        tree.file("/sys/fs/cgroup/unified/cgroup.controllers", "");

        Cgroup root = CgroupMounts.read(tree.host()).unifiedRoot(tree.host());

        assertThat(root.isRoot()).isTrue();
        assertThat(root.hostPath()).isEqualTo("/sys/fs/cgroup/unified");
        assertThat(root.controllers()).isEmpty();
    }

    @Test
    void unifiedRootOnAV1HostSaysHowToGetCgroupV2() {
        assertThatThrownBy(() -> of(MountinfoSamples.V1).unifiedRoot(null))
                .isInstanceOf(CgroupException.class)
                .hasMessageContaining("cgroup v2 is not available: this host mounts only cgroup v1 hierarchies")
                .hasMessageContaining("systemd.unified_cgroup_hierarchy=1");
        assertThatThrownBy(() -> of(MountinfoSamples.NONE).unifiedRoot(null))
                .hasMessageContaining("mounts no cgroup file system at all");
    }
}
