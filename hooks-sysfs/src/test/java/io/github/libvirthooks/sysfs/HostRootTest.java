package io.github.libvirthooks.sysfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostRootTest {
    @TempDir
    Path tmp;
    Path root;
    HostRoot host;

    @BeforeEach
    void layOutTree() throws IOException {
        root = Files.createDirectories(tmp.resolve("host"));
        Files.createDirectories(root.resolve("sys/kernel/mm"));
        Files.writeString(root.resolve("sys/kernel/mm/knob"), "7\n");
        Files.writeString(tmp.resolve("outside"), "secret\n");
        host = HostRoot.at(root);
    }

    @Test
    void writeReturnsTheExactOldAndNewValue() throws IOException {
        Change change = host.write("/sys/kernel/mm/knob", "9");

        assertThat(change).isEqualTo(new Change("/sys/kernel/mm/knob", "7", "9"));
        assertThat(Files.readString(root.resolve("sys/kernel/mm/knob"))).isEqualTo("9");
    }

    @Test
    void undoPutsBackTheOldValue() {
        Change change = host.write("/sys/kernel/mm/knob", "9");
        host.undo(change);
        assertThat(host.read("/sys/kernel/mm/knob")).isEqualTo("7");
    }

    @Test
    void readStripsOnlyTrailingNewlines() throws IOException {
        Files.writeString(root.resolve("sys/kernel/mm/knob"), " 0-3 \n\n");
        assertThat(host.read("/sys/kernel/mm/knob")).isEqualTo(" 0-3 ");
    }

    @Test
    void refusesDotDotEscapes() {
        assertThatThrownBy(() -> host.read("/../outside"))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("refused");
        assertThatThrownBy(() -> host.write("/sys/../../outside", "x"))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("refused");
    }

    @Test
    void dotDotInsideTheRootIsResolvedLexically() {
        assertThat(host.read("/sys/kernel/../kernel/mm/knob")).isEqualTo("7");
    }

    @Test
    void refusesSymlinksThatLeaveTheRoot() throws IOException {
        Files.createSymbolicLink(root.resolve("sys/escape"), tmp.resolve("outside"));
        Files.createSymbolicLink(root.resolve("sys/dir-escape"), tmp);

        assertThatThrownBy(() -> host.read("/sys/escape")).hasMessageContaining("outside the host root");
        assertThatThrownBy(() -> host.write("/sys/dir-escape/outside", "x")).hasMessageContaining("outside the host root");
        assertThat(Files.readString(tmp.resolve("outside"))).isEqualTo("secret\n");
    }

    @Test
    void followsSymlinksThatStayInsideTheRoot() throws IOException {
        Files.createSymbolicLink(root.resolve("sys/link"), root.resolve("sys/kernel"));
        assertThat(host.read("/sys/link/mm/knob")).isEqualTo("7");
    }

    @Test
    void refusesRelativePathsAndNulBytes() {
        assertThatThrownBy(() -> host.read("sys/kernel/mm/knob")).hasMessageContaining("must be absolute");
        assertThatThrownBy(() -> host.read("/sys/kernel\0/mm")).hasMessageContaining("NUL");
    }

    @Test
    void neverCreatesAMissingKernelFile() {
        assertThatThrownBy(() -> host.write("/sys/kernel/mm/absent", "1"))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("/sys/kernel/mm/absent");
        assertThat(root.resolve("sys/kernel/mm/absent")).doesNotExist();
    }

    @Test
    void ioErrorsNameThePathAndTheValue() throws IOException {
        Files.createDirectories(root.resolve("sys/kernel/mm/dir"));
        assertThatThrownBy(() -> host.trigger("/sys/kernel/mm/dir", "1"))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("'1'")
                .hasMessageContaining("/sys/kernel/mm/dir");
    }

    @Test
    void listenerSeesTheChangeBeforeTheWriteAndCanRefuseIt() {
        List<Change> seen = new ArrayList<>();
        HostRoot recording = host.withListener(intended -> {
            seen.add(intended);
            assertThat(host.read(intended.path())).isEqualTo("7");
        });
        recording.write("/sys/kernel/mm/knob", "8");
        assertThat(seen).containsExactly(new Change("/sys/kernel/mm/knob", "7", "8"));

        HostRoot refusing = host.withListener(intended -> {
            throw new IOException("injected fault");
        });
        assertThatThrownBy(() -> refusing.write("/sys/kernel/mm/knob", "1")).hasMessageContaining("injected fault");
        assertThat(host.read("/sys/kernel/mm/knob")).isEqualTo("8");
    }

    @Test
    void readLongNamesTheFileWhenItHoldsGarbage() throws IOException {
        Files.writeString(root.resolve("sys/kernel/mm/knob"), "lots\n");
        assertThatThrownBy(() -> host.readLong("/sys/kernel/mm/knob"))
                .hasMessage("/sys/kernel/mm/knob: expected a number, found 'lots'");
    }

    @Test
    void refusesAbsurdlyLongFiles() throws IOException {
        Files.write(root.resolve("sys/kernel/mm/knob"), new byte[HostRoot.MAX_READ_BYTES + 10]);
        assertThatThrownBy(() -> host.read("/sys/kernel/mm/knob")).hasMessageContaining("longer than");
    }

    @Test
    void listsDirectoryEntriesSorted() throws IOException {
        Files.writeString(root.resolve("sys/kernel/mm/a"), "");
        assertThat(host.list("/sys/kernel/mm")).containsExactly("a", "knob");
    }

    @Test
    void stackedListenersSeeWritesOutsideIn() {
        List<String> order = new ArrayList<>();
        HostRoot stacked = host
                .withListener(new HostWriteListener() {
                    @Override
                    public void beforeWrite(Change intended) {
                        order.add("inner before");
                    }

                    @Override
                    public void afterWrite(Change done) {
                        order.add("inner after");
                    }
                })
                .withListener(new HostWriteListener() {
                    @Override
                    public void beforeWrite(Change intended) {
                        order.add("outer before");
                    }

                    @Override
                    public void afterWrite(Change done) {
                        order.add("outer after");
                    }
                });
        stacked.write("/sys/kernel/mm/knob", "1");
        assertThat(order).containsExactly("outer before", "inner before", "inner after", "outer after");
    }

    @Test
    void triggersReachTheListenerWithoutAnOldValue() throws IOException {
        Files.writeString(root.resolve("sys/kernel/mm/drop"), "");
        List<String> triggers = new ArrayList<>();
        host.withListener(new HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) {
                throw new AssertionError("a trigger has no old value");
            }

            @Override
            public void beforeTrigger(String path, String value) {
                triggers.add(path + "=" + value);
            }
        }).trigger("/sys/kernel/mm/drop", "3");
        assertThat(triggers).containsExactly("/sys/kernel/mm/drop=3");
    }

    @Test
    void aWriteUndoneByAnotherValueReportsThatValueToTheListener() throws IOException {
        Files.writeString(root.resolve("sys/kernel/mm/subtree_control"), "cpu io\n");
        List<Change> seen = new ArrayList<>();
        Change change = host.withListener(seen::add).write("/sys/kernel/mm/subtree_control", "+cpuset", old -> "-cpuset");

        assertThat(change).isEqualTo(new Change("/sys/kernel/mm/subtree_control", "-cpuset", "+cpuset"));
        assertThat(seen).containsExactly(change);
    }

    @Test
    void anEmptyValueIsWrittenAsANewlineSoTheKernelSeesIt() throws IOException {
        Change change = host.write("/sys/kernel/mm/knob", "");
        assertThat(Files.readString(root.resolve("sys/kernel/mm/knob"))).isEqualTo("\n");
        assertThat(change.after()).isEmpty();
        assertThat(host.read("/sys/kernel/mm/knob")).isEmpty();
    }

    @Test
    void aDryRunSeesItsOwnWritesAndTheListenerSeesThemButNoFileChanges() throws IOException {
        java.util.List<Change> seen = new java.util.ArrayList<>();
        HostRoot dry = host.dryRun().withListener(seen::add);

        Change change = dry.write("/sys/kernel/mm/knob", "9");
        dry.update("/sys/kernel/mm/knob", old -> Integer.toString(Integer.parseInt(old) + 1));

        assertThat(change).isEqualTo(new Change("/sys/kernel/mm/knob", "7", "9"));
        assertThat(dry.read("/sys/kernel/mm/knob")).as("read-back sees the dry write").isEqualTo("10");
        assertThat(seen).containsExactly(change, new Change("/sys/kernel/mm/knob", "9", "10"));
        assertThat(Files.readString(root.resolve("sys/kernel/mm/knob"))).isEqualTo("7\n");
        assertThat(host.read("/sys/kernel/mm/knob")).as("the real host is another view").isEqualTo("7");
        assertThatThrownBy(() -> dry.write("/sys/kernel/mm/missing", "1")).isInstanceOf(HostAccessException.class)
                .hasMessageContaining("no such file");
    }

    @Test
    void aDryRunCreatesAndRemovesNothingOnDiskButReadsAsIfItHad() throws IOException {
        java.util.List<String> events = new java.util.ArrayList<>();
        HostRoot dry = host.dryRun().withListener(new HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) {
                events.add("write " + intended.path());
            }

            @Override
            public void beforeCreate(String path) {
                events.add("create " + path);
            }

            @Override
            public void beforeRemove(String path) {
                events.add("remove " + path);
            }
        });

        dry.createDirectory("/run/app", "rwx------");
        dry.createFile("/run/app/conf", "a=1\n", "rw-------");
        dry.removeTree("/sys/kernel");

        assertThat(dry.read("/run/app/conf")).isEqualTo("a=1");
        assertThat(dry.isDirectory("/run/app")).isTrue();
        assertThat(dry.exists("/sys/kernel/mm/knob")).as("removed with its tree").isFalse();
        assertThat(events).containsExactly("create /run/app", "create /run/app/conf", "remove /sys/kernel");
        assertThat(root.resolve("run")).doesNotExist();
        assertThat(root.resolve("sys/kernel/mm/knob")).exists();
    }

    @Test
    void createAndRemoveReallyCreateAndRemoveWithTheModeAndNeverFollowALink() throws IOException {
        host.createDirectory("/run/app", "rwx------");
        host.createFile("/run/app/conf", "a=1\n", "rw-------");
        Files.createSymbolicLink(root.resolve("run/app/link"), tmp.resolve("outside"));

        assertThat(Files.getPosixFilePermissions(root.resolve("run/app"))).isEqualTo(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.readString(root.resolve("run/app/conf"))).isEqualTo("a=1\n");
        assertThatThrownBy(() -> host.createFile("/run/app/conf", "b", "rw-------")).isInstanceOf(HostAccessException.class);

        host.removeTree("/run/app");

        assertThat(root.resolve("run/app")).doesNotExist();
        assertThat(tmp.resolve("outside")).hasContent("secret\n");
        host.removeTree("/run/app");
    }

    @Test
    void readLinkGivesTheTargetAsTextWithoutFollowingIt() throws IOException {
        Files.createDirectories(root.resolve("proc/1/fd"));
        Files.createSymbolicLink(root.resolve("proc/1/fd/3"), Path.of("/dev/dri/card0"));
        Files.createSymbolicLink(root.resolve("proc/1/fd/4"), tmp.resolve("outside"));
        assertThat(host.readLink("/proc/1/fd/3")).contains("/dev/dri/card0");
        assertThat(host.readLink("/proc/1/fd/4")).contains(tmp.resolve("outside").toString());
        assertThat(host.readLink("/sys/kernel/mm/knob")).as("a file").isEmpty();
        assertThat(host.readLink("/proc/1/fd/9")).as("nothing there").isEmpty();
    }

    @Test
    void readLinkRefusesALinkWhoseDirectoryIsOutsideTheRoot() throws IOException {
        Files.createDirectories(tmp.resolve("elsewhere"));
        Files.createSymbolicLink(tmp.resolve("elsewhere/driver"), Path.of("../x"));
        Files.createSymbolicLink(root.resolve("sys/escape"), tmp.resolve("elsewhere"));
        assertThatThrownBy(() -> host.readLink("/sys/escape/driver")).isInstanceOf(HostAccessException.class)
                .hasMessageContaining("outside the host root");
        assertThatThrownBy(() -> host.readLink("/../outside")).isInstanceOf(HostAccessException.class);
    }
}
