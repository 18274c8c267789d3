package io.github.libvirthooks.sysfs.proc;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.sysfs.FakeTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenFileHoldersTest {
    @TempDir
    Path root;

    FakeTree process(FakeTree tree, int pid, String comm, int uid, String cgroup, String... open) throws IOException {
        tree.file("/proc/" + pid + "/comm", comm).file("/proc/" + pid + "/status", "Name:\t" + comm + "\nUid:\t" + uid + "\t" + uid
                + "\t" + uid + "\t" + uid + "\n").file("/proc/" + pid + "/cgroup", cgroup).dir("/proc/" + pid + "/fd");
        int fd = 0;
        for (String target : open) {
            Files.createSymbolicLink(tree.local("/proc/" + pid + "/fd/" + fd++), Path.of(target));
        }
        return tree;
    }

    @Test
    void namesEveryProcessHoldingTheNodesWithItsUserAndUnit() throws IOException {
        FakeTree tree = new FakeTree(root).file("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\ngdm:x:120:120::/var/lib/gdm3:/bin/false\n"
                + "alice:x:1000:1000::/home/alice:/bin/bash");
        process(tree, 812, "Xorg", 120, "0::/system.slice/gdm.service", "/dev/null", "/dev/dri/card0", "/dev/dri/card0");
        process(tree, 2301, "kwin_wayland", 1000, "0::/user.slice/user-1000.slice/user@1000.service/session.slice/plasma-kwin_wayland.service",
                "/dev/dri/renderD128", "socket:[1234]");
        process(tree, 3000, "bash", 1000, "0::/user.slice/user-1000.slice/session-2.scope", "/dev/pts/0");
        process(tree, 3100, "nvidia-persiste", 4242, "12:pids:/x\n1:name=systemd:/system.slice/nvidia-persistenced.service",
                "/dev/nvidiactl");
        tree.dir("/proc/self").file("/proc/version", "Linux").dir("/proc/sys");
        OpenFileHolders.Scan scan = new OpenFileHolders(tree.host()).holding(
                node -> Set.of("/dev/dri/card0", "/dev/dri/renderD128").contains(node) || node.startsWith("/dev/nvidia"));
        assertThat(scan.holders()).containsExactly(
                new Holder(812, "Xorg", 120, "gdm", "/dev/dri/card0", "/system.slice/gdm.service"),
                new Holder(2301, "kwin_wayland", 1000, "alice", "/dev/dri/renderD128",
                        "/user.slice/user-1000.slice/user@1000.service/session.slice/plasma-kwin_wayland.service"),
                new Holder(3100, "nvidia-persiste", 4242, "4242", "/dev/nvidiactl", "/system.slice/nvidia-persistenced.service"));
        assertThat(scan.holders().get(0).describe()).isEqualTo("PID 812 Xorg (user gdm) holds /dev/dri/card0");
    }

    @Test
    void aLinkPointingOutsideTheRootIsOnlyReadAsText() throws IOException {
        FakeTree tree = new FakeTree(root);
        process(tree, 5, "evil", 0, "", "/../../../../dev/dri/card0");
        assertThat(new OpenFileHolders(tree.host()).holding("/dev/dri/card0"::equals).holders()).isEmpty();
        assertThat(new OpenFileHolders(tree.host()).holding(n -> n.endsWith("card0")).holders()).extracting(Holder::pid)
                .containsExactly(5);
    }

    @Test
    void hostileProcessNamesArePrintable() throws IOException {
        FakeTree tree = new FakeTree(root);
        process(tree, 7, "x\u001b[2Jy", 0, "", "/dev/dri/card1");
        assertThat(new OpenFileHolders(tree.host()).holding("/dev/dri/card1"::equals).holders().get(0).comm()).isEqualTo("x?[2Jy");
    }
}
