package io.github.libvirthooks.sysfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link HostRoot#createSharedFile}, {@link HostRoot#status}, {@link HostRoot#setOwnership} and {@link HostRoot#removeFile}. */
class SharedFileTest {
    private static final long MIB_32 = 32L << 20;

    @TempDir
    Path tmp;
    Path root;
    HostRoot host;
    int uid;
    int gid;

    @BeforeEach
    void layOutTree() throws IOException {
        root = Files.createDirectories(tmp.resolve("host"));
        Files.createDirectories(root.resolve("dev/shm"));
        Files.writeString(tmp.resolve("outside"), "secret\n");
        host = HostRoot.at(root);
        uid = (Integer) Files.getAttribute(tmp, "unix:uid");
        gid = (Integer) Files.getAttribute(tmp, "unix:gid");
    }

    @Test
    void aSharedFileIsBornWithItsSizeOwnerAndModeWhateverTheUmask() throws IOException {
        host.createSharedFile("/dev/shm/looking-glass", MIB_32, uid, gid, 0660);

        FileStatus made = host.status("/dev/shm/looking-glass").orElseThrow();
        assertThat(made.kind()).isEqualTo(FileStatus.Kind.REGULAR);
        assertThat(made.size()).isEqualTo(MIB_32);
        assertThat(made.ownership()).isEqualTo(uid + ":" + gid + " 0660");
        assertThat(Files.size(root.resolve("dev/shm/looking-glass"))).isEqualTo(MIB_32);
    }

    @Test
    void aLinkPlantedAtThePathIsNeitherFollowedNorReplaced() throws IOException {
        Path link = root.resolve("dev/shm/looking-glass");
        Files.createSymbolicLink(link, tmp.resolve("outside"));

        assertThatThrownBy(() -> host.createSharedFile("/dev/shm/looking-glass", MIB_32, uid, gid, 0660))
                .isInstanceOf(HostAccessException.class).hasMessageContaining("cannot create /dev/shm/looking-glass");

        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readString(tmp.resolve("outside"))).isEqualTo("secret\n");
        assertThat(Files.size(tmp.resolve("outside"))).isEqualTo(7);
        assertThat(host.status("/dev/shm/looking-glass").orElseThrow().kind()).isEqualTo(FileStatus.Kind.LINK);
    }

    @Test
    void aDanglingLinkIsNoWayInEither() throws IOException {
        Path link = root.resolve("dev/shm/looking-glass");
        Files.createSymbolicLink(link, tmp.resolve("would-be-created"));

        assertThatThrownBy(() -> host.createSharedFile("/dev/shm/looking-glass", MIB_32, uid, gid, 0660))
                .isInstanceOf(HostAccessException.class);

        assertThat(tmp.resolve("would-be-created")).doesNotExist();
    }

    @Test
    void anExistingFileIsLeftAsItWas() throws IOException {
        Files.writeString(root.resolve("dev/shm/looking-glass"), "someone's");

        assertThatThrownBy(() -> host.createSharedFile("/dev/shm/looking-glass", MIB_32, uid, gid, 0660))
                .isInstanceOf(HostAccessException.class);

        assertThat(Files.readString(root.resolve("dev/shm/looking-glass"))).isEqualTo("someone's");
    }

    @Test
    void theListenerSeesTheCreationBeforeAndAfterAndCanRefuseIt() throws IOException {
        List<String> seen = new ArrayList<>();
        HostRoot watched = host.withListener(new HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) {
            }

            @Override
            public void beforeCreate(String path) throws IOException {
                seen.add("before " + path);
                if (seen.size() > 1) {
                    throw new IOException("refused");
                }
            }

            @Override
            public void afterChange(String path) {
                seen.add("after " + path);
            }
        });
        watched.createSharedFile("/dev/shm/a", 4096, uid, gid, 0660);
        assertThatThrownBy(() -> watched.createSharedFile("/dev/shm/b", 4096, uid, gid, 0660)).hasMessageContaining("refused");

        assertThat(seen).containsExactly("before /dev/shm/a", "after /dev/shm/a", "before /dev/shm/b");
        assertThat(root.resolve("dev/shm/b")).doesNotExist();
    }

    @Test
    void aDryRunCreatesNothingButTellsItsListener() {
        List<String> seen = new ArrayList<>();
        HostRoot dry = host.dryRun().withListener(new HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) {
            }

            @Override
            public void beforeCreate(String path) {
                seen.add(path);
            }
        });

        dry.createSharedFile("/dev/shm/looking-glass", MIB_32, uid, gid, 0660);

        assertThat(seen).containsExactly("/dev/shm/looking-glass");
        assertThat(root.resolve("dev/shm/looking-glass")).doesNotExist();
        assertThat(dry.status("/dev/shm/looking-glass")).isPresent();
    }

    @Test
    void ownershipChangesReturnTheOldValuesAndRefuseLinks() throws IOException {
        Path device = root.resolve("dev/kvmfr0");
        Files.writeString(device, "");
        Files.setAttribute(device, "unix:mode", 0600);
        List<Change> seen = new ArrayList<>();
        HostRoot watched = host.withListener(new HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) {
            }

            @Override
            public void beforeOwnership(Change intended) {
                seen.add(intended);
            }
        });

        Change change = watched.setOwnership("/dev/kvmfr0", uid, gid, 0660);

        assertThat(change).isEqualTo(new Change("/dev/kvmfr0", uid + ":" + gid + " 0600", uid + ":" + gid + " 0660"));
        assertThat(seen).containsExactly(change);
        assertThat(host.status("/dev/kvmfr0").orElseThrow().mode()).isEqualTo(0660);

        Files.createSymbolicLink(root.resolve("dev/kvmfr1"), tmp.resolve("outside"));
        assertThatThrownBy(() -> host.setOwnership("/dev/kvmfr1", uid, gid, 0666)).hasMessageContaining("symbolic link");
        assertThat(Files.getAttribute(tmp.resolve("outside"), "unix:mode")).isNotEqualTo(0100666);
    }

    @Test
    void removeFileTakesALinkNotItsTargetAndNeverADirectory() throws IOException {
        Files.createSymbolicLink(root.resolve("dev/shm/looking-glass"), tmp.resolve("outside"));
        host.removeFile("/dev/shm/looking-glass");
        assertThat(Files.exists(root.resolve("dev/shm/looking-glass"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(tmp.resolve("outside")).exists();

        Files.createDirectories(root.resolve("dev/shm/dir/inside"));
        assertThatThrownBy(() -> host.removeFile("/dev/shm/dir")).hasMessageContaining("directory");
        assertThat(root.resolve("dev/shm/dir/inside")).exists();
        host.removeFile("/dev/shm/nothing-here");
    }

    @Test
    void asRootTheFileGoesToTheUserAndGroupAsked() throws IOException {
        assumeTrue(uid == 0, "chown to another user needs root");

        host.createSharedFile("/dev/shm/looking-glass", MIB_32, 1234, 5678, 0660);

        assertThat(host.status("/dev/shm/looking-glass").orElseThrow().ownership()).isEqualTo("1234:5678 0660");
    }

    /**
     * The same on a real tmpfs: a directory the test makes inside this machine's {@code /dev/shm}
     * (mounting a tmpfs of its own would need root and a mount namespace), removed afterwards.
     */
    @Test
    void onARealTmpfsTheFileHasItsSizeAndMode() throws IOException {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm) && Files.getFileStore(shm).type().equals("tmpfs"),
                "/dev/shm is a writable tmpfs here");
        Path realRoot = Files.createTempDirectory(shm, "libvirt-hooks-test-");
        try {
            Files.createDirectories(realRoot.resolve("dev/shm"));
            HostRoot onTmpfs = HostRoot.at(realRoot);

            onTmpfs.createSharedFile("/dev/shm/looking-glass", MIB_32, uid, gid, 0660);

            Path file = realRoot.resolve("dev/shm/looking-glass");
            assertThat(Files.getFileStore(file).type()).isEqualTo("tmpfs");
            assertThat(onTmpfs.status("/dev/shm/looking-glass").orElseThrow())
                    .isEqualTo(new FileStatus(FileStatus.Kind.REGULAR, uid, gid, 0660, MIB_32,
                            (Long) Files.getAttribute(file, "unix:ino", LinkOption.NOFOLLOW_LINKS)));
            onTmpfs.removeFile("/dev/shm/looking-glass");
            assertThat(file).doesNotExist();
        } finally {
            try (var walk = Files.walk(realRoot)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
