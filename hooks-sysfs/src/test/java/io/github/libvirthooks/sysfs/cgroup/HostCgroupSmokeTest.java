package io.github.libvirthooks.sysfs.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.libvirthooks.sysfs.HostRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Reads this machine's real mount table; never writes anything. */
class HostCgroupSmokeTest {
    @Test
    void parsesTheRealMountinfoAndReportsTheCgroupVersion() {
        assumeTrue(Files.isReadable(Path.of(Mountinfo.PATH)), "no /proc/self/mountinfo (not Linux)");
        HostRoot host = HostRoot.system();

        CgroupMounts mounts = CgroupMounts.read(host);
        CgroupVersion version = mounts.version();

        System.out.println("host cgroup version: " + version + ", unified mount: " + mounts.unifiedMountPoint().orElse("none")
                + ", v1 controllers: " + mounts.v1Controllers());
        Mountinfo mountinfo = Mountinfo.read(host);
        assertThat(mountinfo.entries()).isNotEmpty();
        assertThat(mountinfo.entries()).anyMatch(e -> e.mountPoint().equals("/"));
        if (mounts.unifiedMountPoint().isPresent()) {
            Cgroup root = mounts.unifiedRoot(host);
            assertThat(root.exists()).isTrue();
            assertThat(root.controllers()).isNotNull();
        }
    }
}
