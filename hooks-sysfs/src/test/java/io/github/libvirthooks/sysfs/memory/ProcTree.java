package io.github.libvirthooks.sysfs.memory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Lays out files of a fake {@code /proc} below a test root. */
final class ProcTree {
    private ProcTree() {
    }

    static void file(Path root, String hostPath, String content) {
        try {
            Path p = root.resolve(hostPath.substring(1));
            Files.createDirectories(p.getParent());
            Files.writeString(p, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path root, String hostPath) {
        try {
            return Files.readString(root.resolve(hostPath.substring(1)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
