package io.github.libvirthooks.sysfs.sched;

import io.github.libvirthooks.sysfs.HostRoot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Lays out a fake host tree (files under /sys and /proc) in a temporary directory. */
final class FakeTree {
    private final Path root;

    FakeTree(Path root) {
        this.root = root;
    }

    /** Writes {@code content} plus the newline the kernel prints, creating parent directories. */
    FakeTree file(String hostPath, String content) {
        Path file = local(hostPath);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    FakeTree dir(String hostPath) {
        try {
            Files.createDirectories(local(hostPath));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** The raw content of a file, exactly as written. */
    String content(String hostPath) {
        try {
            return Files.readString(local(hostPath), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    HostRoot host() {
        return HostRoot.at(root);
    }

    Path local(String hostPath) {
        return root.resolve(hostPath.substring(1));
    }
}
