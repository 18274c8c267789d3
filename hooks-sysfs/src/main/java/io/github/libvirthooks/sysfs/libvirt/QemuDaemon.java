package io.github.libvirthooks.sysfs.libvirt;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A libvirt daemon that can run the QEMU driver, and so the QEMU hooks: the monolithic
 * {@code libvirtd}, or {@code virtqemud} of the modular daemons (Fedora's default since 35,
 * socket-activated: it exits when idle and systemd starts it again at the next connection).
 * Read from the host's files, libvirt is not asked: a process whose {@code comm} is the
 * daemon's name (found through its pid file, else a scan of {@code /proc}) and its UNIX socket.
 *
 * @param name    {@code libvirtd} or {@code virtqemud}
 * @param pid     the running daemon's process; empty when it does not run now
 * @param since   when it started (its pid file is written at start); empty when unknown
 * @param socket  its read-write socket exists, so a client can reach (or socket-activate) it
 */
public record QemuDaemon(String name, OptionalLong pid, Optional<Instant> since, boolean socket) {
    public static final String LIBVIRTD = "libvirtd";
    public static final String VIRTQEMUD = "virtqemud";
    static final String LIBVIRTD_SOCKET = "/run/libvirt/libvirt-sock";
    static final String VIRTQEMUD_SOCKET = "/run/libvirt/virtqemud-sock";

    public boolean running() {
        return pid.isPresent();
    }

    /** The systemd service that runs it. */
    public String service() {
        return name + ".service";
    }

    /**
     * The daemon that runs the QEMU driver on this host: a running one first (virtqemud
     * before libvirtd when both run, as a client's {@code qemu:///system} then reaches virtqemud
     * only through libvirtd's socket, which is another problem doctor reports), else the one
     * whose socket waits for a client. On a modular host {@code libvirt-sock} belongs to
     * {@code virtproxyd}, so it counts for libvirtd only where no virtqemud socket exists.
     */
    public static Optional<QemuDaemon> qemuDriver(HostRoot host) {
        List<QemuDaemon> all = all(host);
        return all.stream().filter(QemuDaemon::running).findFirst().or(() -> all.stream().filter(QemuDaemon::socket).findFirst());
    }

    /** Both daemons as found, virtqemud first. */
    public static List<QemuDaemon> all(HostRoot host) {
        boolean modularSocket = host.exists(VIRTQEMUD_SOCKET);
        List<QemuDaemon> daemons = new ArrayList<>();
        daemons.add(probe(host, VIRTQEMUD, modularSocket));
        daemons.add(probe(host, LIBVIRTD, !modularSocket && host.exists(LIBVIRTD_SOCKET)));
        return daemons;
    }

    private static QemuDaemon probe(HostRoot host, String name, boolean socket) {
        String pidFile = "/run/" + name + ".pid";
        Optional<String> recorded = readQuietly(host, pidFile).map(String::strip);
        if (recorded.isPresent() && recorded.get().matches("[1-9][0-9]{0,9}") && isDaemon(host, recorded.get(), name)) {
            return new QemuDaemon(name, OptionalLong.of(Long.parseLong(recorded.get())), modified(host, pidFile), socket);
        }
        for (String entry : host.isDirectory("/proc") ? host.list("/proc") : List.<String>of()) {
            if (entry.matches("[1-9][0-9]{0,9}") && isDaemon(host, entry, name)) {
                return new QemuDaemon(name, OptionalLong.of(Long.parseLong(entry)), Optional.empty(), socket);
            }
        }
        return new QemuDaemon(name, OptionalLong.empty(), Optional.empty(), socket);
    }

    private static boolean isDaemon(HostRoot host, String pid, String name) {
        return readQuietly(host, "/proc/" + pid + "/comm").map(String::strip).filter(name::equals).isPresent();
    }

    /** A process may end between the listing and the read. */
    private static Optional<String> readQuietly(HostRoot host, String path) {
        try {
            return host.readIfExists(path);
        } catch (HostAccessException e) {
            return Optional.empty();
        }
    }

    private static Optional<Instant> modified(HostRoot host, String path) {
        try {
            return Optional.of(Files.getLastModifiedTime(host.resolve(path)).toInstant());
        } catch (IOException | HostAccessException e) {
            return Optional.empty();
        }
    }
}
