package io.github.libvirthooks.sysfs.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.sysfs.FakeTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuDaemonTest {
    @TempDir
    Path tmp;

    @Test
    void theMonolithicDaemonFoundThroughItsPidFileWithItsStartTime() throws Exception {
        FakeTree host = new FakeTree(tmp).file("/run/libvirtd.pid", "812").file("/proc/812/comm", "libvirtd")
                .file(QemuDaemon.LIBVIRTD_SOCKET, "");
        Instant start = Instant.parse("2026-12-01T10:00:00Z");
        Files.setLastModifiedTime(host.local("/run/libvirtd.pid"), FileTime.from(start));

        QemuDaemon daemon = QemuDaemon.qemuDriver(host.host()).orElseThrow();

        assertThat(daemon.name()).isEqualTo("libvirtd");
        assertThat(daemon.pid()).hasValue(812);
        assertThat(daemon.since()).contains(start);
        assertThat(daemon.service()).isEqualTo("libvirtd.service");
    }

    @Test
    void aStalePidFileOfAnotherProcessIsNotTheDaemon() {
        FakeTree host = new FakeTree(tmp).file("/run/libvirtd.pid", "812").file("/proc/812/comm", "bash");

        assertThat(QemuDaemon.qemuDriver(host.host())).isEmpty();
    }

    @Test
    void anIdleSocketActivatedVirtqemudIsTheDriverAndLibvirtSockIsThenVirtproxydsNotLibvirtds() {
        FakeTree host = new FakeTree(tmp).file(QemuDaemon.VIRTQEMUD_SOCKET, "").file(QemuDaemon.LIBVIRTD_SOCKET, "").dir("/proc");

        QemuDaemon daemon = QemuDaemon.qemuDriver(host.host()).orElseThrow();

        assertThat(daemon.name()).isEqualTo("virtqemud");
        assertThat(daemon.running()).isFalse();
        assertThat(daemon.socket()).isTrue();
        assertThat(QemuDaemon.all(host.host())).filteredOn(d -> d.name().equals("libvirtd")).singleElement()
                .satisfies(d -> assertThat(d.socket()).isFalse());
    }

    @Test
    void aRunningVirtqemudWithoutAPidFileIsFoundInProc() {
        FakeTree host = new FakeTree(tmp).file("/proc/1/comm", "systemd").file("/proc/977/comm", "virtqemud")
                .file(QemuDaemon.VIRTQEMUD_SOCKET, "");

        QemuDaemon daemon = QemuDaemon.qemuDriver(host.host()).orElseThrow();

        assertThat(daemon.name()).isEqualTo("virtqemud");
        assertThat(daemon.pid()).hasValue(977);
        assertThat(daemon.since()).isEmpty();
    }

    @Test
    void aRunningDaemonComesBeforeAnIdleSocket() {
        FakeTree host = new FakeTree(tmp).file(QemuDaemon.VIRTQEMUD_SOCKET, "").file("/run/libvirtd.pid", "55")
                .file("/proc/55/comm", "libvirtd");

        assertThat(QemuDaemon.qemuDriver(host.host()).orElseThrow().name()).isEqualTo("libvirtd");
    }
}
