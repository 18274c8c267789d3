package io.github.libvirthooks.features.lookingglass;

import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.testkit.FakeHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code modprobe kvmfr static_size_mb=N,...} and {@code modprobe -r kvmfr} answered on a
 * {@link FakeHost} as the kernel does: the module's line in {@code /proc/modules}, one
 * {@code /dev/kvmfrN} per size (mode 0600, root's: a plain file standing for the device node),
 * and, only when asked for, the {@code static_size_mb} parameter file (upstream hides it).
 */
public final class FakeKvmfr {
    public static final String LINE = "kvmfr 16384 0 - Live 0x0";
    private final FakeHost host;
    private final boolean showsSizes;

    public FakeKvmfr(FakeHost host, boolean showsSizes) {
        this.host = host;
        this.showsSizes = showsSizes;
    }

    /** The answer to {@code argv}, or empty when it is not about kvmfr. */
    public Optional<CommandResult> answer(List<String> argv) {
        if (argv.size() >= 2 && argv.get(0).equals("modprobe") && argv.get(1).equals("kvmfr")) {
            List<String> sizes = argv.size() > 2 && argv.get(2).startsWith("static_size_mb=")
                    ? List.of(argv.get(2).substring("static_size_mb=".length()).split(",")) : List.of();
            List<String> modules = new ArrayList<>(List.of(host.read("/proc/modules").split("\n")));
            modules.add(LINE);
            host.file("/proc/modules", String.join("\n", modules));
            for (int i = 0; i < sizes.size(); i++) {
                host.file("/dev/kvmfr" + i, "");
                chmod("/dev/kvmfr" + i, 0600);
            }
            if (showsSizes) {
                host.file("/sys/module/kvmfr/parameters/static_size_mb", String.join(",", sizes));
            } else {
                host.dir("/sys/module/kvmfr/parameters");
            }
            return Optional.of(new CommandResult(argv, 0, "", ""));
        }
        if (argv.equals(List.of("modprobe", "-r", "kvmfr"))) {
            List<String> modules = new ArrayList<>(List.of(host.read("/proc/modules").split("\n")));
            modules.remove(LINE);
            host.file("/proc/modules", String.join("\n", modules));
            for (int i = 0; i < 10; i++) {
                try {
                    Files.deleteIfExists(host.local("/dev/kvmfr" + i));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            host.deleteTree("/sys/module/kvmfr");
            return Optional.of(new CommandResult(argv, 0, "", ""));
        }
        return Optional.empty();
    }

    void chmod(String path, int mode) {
        try {
            Files.setAttribute(host.local(path), "unix:mode", mode);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A desktop: alice (uid {@code uid}) and kvm (gid {@code gid}) in {@code /etc/passwd} and {@code /etc/group}, {@code /dev/shm}, {@code /sys/module}. */
    public static void desktopAccounts(FakeHost host, int uid, int gid) {
        host.file("/etc/passwd", "root:x:0:0::/root:/bin/sh\nalice:x:" + uid + ":" + uid + "::/home/alice:/bin/sh\n"
                + "libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin\n")
                .file("/etc/group", "root:x:0:\nkvm:x:" + gid + ":alice,libvirt-qemu\nlibvirt-qemu:x:64055:\n")
                .dir("/dev/shm").dir("/sys/module");
    }

    /** A uid and gid this process may give files: any as root, else its own. */
    public static int[] ownableIds(java.nio.file.Path anywhere) {
        try {
            int uid = (Integer) Files.getAttribute(anywhere, "unix:uid");
            int gid = (Integer) Files.getAttribute(anywhere, "unix:gid");
            return uid == 0 ? new int[] {1000, 994} : new int[] {uid, gid};
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
