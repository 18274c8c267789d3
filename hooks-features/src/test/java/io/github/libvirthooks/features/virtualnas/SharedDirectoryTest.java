package io.github.libvirthooks.features.virtualnas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SharedDirectoryTest {
    @TempDir
    Path tmp;
    Path root;
    HostRoot host;

    @BeforeEach
    void tree() throws IOException {
        root = Files.createDirectories(tmp.resolve("root"));
        for (String dir : new String[] {"srv/share/sub", "etc/ssh", "proc", "sys", "dev", "run/libvirt-hooks", "boot", "home/u"}) {
            Files.createDirectories(root.resolve(dir));
        }
        Files.writeString(root.resolve("srv/file"), "x");
        host = HostRoot.at(root);
    }

    @Test
    void aDirectoryMadeForTheVmIsServedByItsRealPath() throws IOException {
        Files.createSymbolicLink(root.resolve("srv/link"), Path.of("share/sub"));
        SharedDirectory dir = SharedDirectory.check(host, "/srv/link");
        assertThat(dir.hostPath()).isEqualTo("/srv/share/sub");
        assertThat(dir.local()).isEqualTo(root.toRealPath().resolve("srv/share/sub"));
    }

    @Test
    void theRootAndSystemTreesAreRefusedEvenThroughLinks() throws IOException {
        Files.createSymbolicLink(root.resolve("srv/conf"), Path.of("../etc/ssh"));
        Files.createSymbolicLink(root.resolve("home/u/up"), Path.of("../.."));
        for (String bad : new String[] {"/", "/etc", "/etc/ssh", "/proc", "/sys", "/dev", "/run", "/run/libvirt-hooks", "/boot",
                "/srv/conf", "/home/u/up", "/srv/../etc"}) {
            assertThatThrownBy(() -> SharedDirectory.check(host, bad)).as(bad).isInstanceOf(FeatureException.class)
                    .hasMessageContaining("is refused");
        }
    }

    @Test
    void linksOutOfTheHostRootMissingPathsAndFilesAreRefused() throws IOException {
        Files.createDirectories(tmp.resolve("outside"));
        Files.createSymbolicLink(root.resolve("srv/out"), tmp.resolve("outside"));
        assertThatThrownBy(() -> SharedDirectory.check(host, "/srv/out")).hasMessageContaining("refused");
        assertThatThrownBy(() -> SharedDirectory.check(host, "/srv/none")).hasMessageContaining("is not a directory");
        assertThatThrownBy(() -> SharedDirectory.check(host, "/srv/file")).hasMessageContaining("is not a directory");
    }
}
