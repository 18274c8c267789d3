package io.github.libvirthooks.sysfs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Lays out a fake host tree (files under /sys and /proc) in a temporary directory, for the tests of every package. */
public final class FakeTree {
    private final Path root;

    public FakeTree(Path root) {
        this.root = root;
    }

    /** Writes {@code content} plus the newline the kernel prints, creating parent directories. */
    public FakeTree file(String hostPath, String content) {
        Path file = local(hostPath);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public FakeTree dir(String hostPath) {
        try {
            Files.createDirectories(local(hostPath));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** The raw content of a file, exactly as written. */
    public String content(String hostPath) {
        try {
            return Files.readString(local(hostPath), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public HostRoot host() {
        return HostRoot.at(root);
    }

    public Path local(String hostPath) {
        return root.resolve(hostPath.substring(1));
    }
}
