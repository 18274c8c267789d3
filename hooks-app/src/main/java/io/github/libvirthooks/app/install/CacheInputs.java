package io.github.libvirthooks.app.install;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * What a start-up cache (class-data archive, AOT cache) was built from: the JDK (its real path,
 * its {@code release} file, the size and time of its {@code lib/modules}), the JVM options and
 * each classpath file's path, size and modification time, the same facts the JVM checks before
 * it maps a cache. Kept beside the cache, so that an install over the same jars and JDK (a
 * reinstall, or a package upgrade whose files kept their times) keeps the cache instead of
 * training it again, minutes under emulation. A cache the JVM would refuse is never kept: every
 * fact it checks is in here.
 */
record CacheInputs(String text) {
    /** The inputs now, or empty text when one of them cannot be read (then the cache is built anew). */
    static CacheInputs of(Path java, List<String> jvmOptions, List<Path> classpath) {
        List<String> lines = new ArrayList<>();
        try {
            Path home = java.toRealPath().getParent().getParent();
            lines.add("java " + java.toRealPath());
            lines.add("release " + Files.readString(home.resolve("release"), StandardCharsets.UTF_8).strip().replace('\n', ' '));
            lines.add("modules " + stamp(home.resolve("lib/modules")));
            lines.add("options " + String.join(" ", jvmOptions));
            for (Path entry : classpath) {
                lines.add("classpath " + entry + " " + stamp(entry));
            }
        } catch (IOException | RuntimeException e) {
            return new CacheInputs("");
        }
        return new CacheInputs(String.join("\n", lines) + "\n");
    }

    /** True when {@code cache} exists and was built from exactly these inputs. */
    boolean built(Path cache) {
        if (text.isEmpty() || !Files.isRegularFile(cache)) {
            return false;
        }
        try {
            return Files.readString(record(cache), StandardCharsets.UTF_8).equals(text);
        } catch (IOException e) {
            return false;
        }
    }

    /** Records that {@code cache} was just built from these inputs. */
    void recordFor(Path cache) throws IOException {
        if (!text.isEmpty()) {
            Files.writeString(record(cache), text, StandardCharsets.UTF_8);
        }
    }

    /** The record beside a cache: {@code hook.jsa.inputs}. */
    static Path record(Path cache) {
        return cache.resolveSibling(cache.getFileName() + ".inputs");
    }

    private static String stamp(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return a.size() + " " + a.lastModifiedTime().toMillis();
    }
}
