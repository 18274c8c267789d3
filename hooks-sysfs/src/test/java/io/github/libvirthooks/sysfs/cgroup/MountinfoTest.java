package io.github.libvirthooks.sysfs.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.FakeTree;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountinfoTest {
    @Test
    void parsesAllFieldsOfALineWithOptionalFields() {
        Mountinfo mountinfo = Mountinfo.parse("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue\n");

        assertThat(mountinfo.entries()).containsExactly(new MountinfoEntry(36, 35, "98:0", "/mnt1", "/mnt2", "rw,noatime",
                List.of("master:1", "shared:7"), "ext3", "/dev/root", "rw,errors=continue"));
    }

    @Test
    void parsesALineWithoutOptionalFields() {
        MountinfoEntry entry = Mountinfo.parse("41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw").entries().get(0);

        assertThat(entry.optionalFields()).isEmpty();
        assertThat(entry.mountPoint()).isEqualTo("/sys/fs/cgroup/unified");
        assertThat(entry.fsType()).isEqualTo("cgroup2");
        assertThat(entry.superOptionList()).containsExactly("rw");
    }

    @Test
    void decodesOctalEscapesInPathsAndSource() {
        MountinfoEntry entry = Mountinfo.parse(
                "50 28 0:45 /data\\134dir /mnt/my\\040disk\\011tab\\012nl rw - fuse.sshfs user@host:/my\\040files rw").entries().get(0);

        assertThat(entry.root()).isEqualTo("/data\\dir");
        assertThat(entry.mountPoint()).isEqualTo("/mnt/my disk\ttab\nnl");
        assertThat(entry.source()).isEqualTo("user@host:/my files");
        assertThat(entry.fsType()).isEqualTo("fuse.sshfs");
    }

    @Test
    void decodesEscapedUtf8BytesAndKeepsLoneBackslashes() {
        assertThat(Mountinfo.unescape("/m\\303\\274nchen")).isEqualTo("/münchen");
        assertThat(Mountinfo.unescape("/a\\x2db\\9")).isEqualTo("/a\\x2db\\9");
        assertThat(Mountinfo.unescape("/ümlaut")).isEqualTo("/ümlaut");
    }

    @Test
    void skipsBlankLines() {
        assertThat(Mountinfo.parse("\n" + MountinfoSamples.V2 + "\n\n").entries()).hasSize(5);
    }

    @Test
    void emptyTextHasNoMounts() {
        assertThat(Mountinfo.parse("").entries()).isEmpty();
    }

    @Test
    void lineWithoutSeparatorIsMalformedAndNamed() {
        String text = "22 28 0:21 / /proc rw shared:12 - proc proc rw\n23 28 0:22 / /sys rw shared:2 sysfs sysfs rw\n";

        assertThatThrownBy(() -> Mountinfo.parse(text))
                .isInstanceOf(CgroupException.class)
                .hasMessageContaining("/proc/self/mountinfo line 2 is malformed")
                .hasMessageContaining("no ' - ' separator")
                .hasMessageContaining("'23 28 0:22 / /sys rw shared:2 sysfs sysfs rw'");
    }

    @Test
    void tooFewFieldsBeforeTheSeparatorAreMalformed() {
        assertThatThrownBy(() -> Mountinfo.parse("22 28 0:21 /proc rw - proc proc rw"))
                .isInstanceOf(CgroupException.class)
                .hasMessageContaining("line 1 is malformed (expected at least 6 fields before the ' - ' separator, found 5)");
    }

    @Test
    void wrongFieldCountAfterTheSeparatorIsMalformed() {
        assertThatThrownBy(() -> Mountinfo.parse("22 28 0:21 / /proc rw - proc proc"))
                .hasMessageContaining("expected 3 fields after the ' - ' separator");
    }

    @Test
    void nonNumericIdsAreMalformed() {
        assertThatThrownBy(() -> Mountinfo.parse("x 28 0:21 / /proc rw - proc proc rw"))
                .hasMessageContaining("mount id 'x' is not a number");
        assertThatThrownBy(() -> Mountinfo.parse("22 28 021 / /proc rw - proc proc rw"))
                .hasMessageContaining("'021' is not major:minor");
        assertThatThrownBy(() -> Mountinfo.parse("22 9999999999 0:21 / /proc rw - proc proc rw"))
                .hasMessageContaining("parent id '9999999999' is out of range");
    }

    @Test
    void relativeMountPointIsMalformed() {
        assertThatThrownBy(() -> Mountinfo.parse("22 28 0:21 / proc rw - proc proc rw"))
                .hasMessageContaining("must be an absolute path");
    }

    @Test
    void readsThroughTheHostRoot(@TempDir Path dir) {
        FakeTree tree = new FakeTree(dir).file(Mountinfo.PATH, MountinfoSamples.HYBRID);

        Mountinfo mountinfo = Mountinfo.read(tree.host());

        assertThat(mountinfo.ofType("cgroup")).extracting(MountinfoEntry::mountPoint)
                .containsExactly("/sys/fs/cgroup/systemd", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpuset", "/sys/fs/cgroup/memory");
    }
}
