package io.github.libvirthooks.app.install;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code /etc/libvirt/hooks/qemu} that {@code install --dispatcher} writes for libvirt
 * before 6.5, which runs only that file: a POSIX shell script that runs every executable in
 * {@code qemu.d/} (so our launcher among them) as newer libvirt does.
 */
public final class Dispatcher {
    static final String RESOURCE = "/io/github/libvirthooks/app/install/qemu-dispatcher";
    /** The script's second line: how doctor and install tell our dispatcher from another tool's script. */
    static final String MARKER = "# libvirt-hooks dispatcher:";

    private Dispatcher() {
    }

    /** The script's text. */
    public static String script() {
        return Installer.resource(RESOURCE);
    }

    /** True when {@code file} is a dispatcher libvirt-hooks wrote. */
    public static boolean isOurs(Path file) {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8).lines().limit(3).anyMatch(l -> l.startsWith(MARKER));
        } catch (IOException | java.io.UncheckedIOException e) {
            return false;
        }
    }
}
