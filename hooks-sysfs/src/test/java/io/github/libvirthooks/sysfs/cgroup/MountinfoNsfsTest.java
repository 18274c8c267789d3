package io.github.libvirthooks.sysfs.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MountinfoNsfsTest {
    @Test
    void acceptsNetworkNamespaceMountsWhoseRootIsNotAPath() {
        Mountinfo info = Mountinfo.parse("""
                45 44 0:4 net:[4026532177] /run/netns/test rw shared:2 - nsfs nsfs rw
                30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw
                """);
        assertThat(info.ofType("nsfs")).hasSize(1);
        assertThat(CgroupMounts.of(info).version()).isEqualTo(CgroupVersion.V2);
    }
}
