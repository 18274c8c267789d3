package io.github.libvirthooks.features.reliability;

import io.github.libvirthooks.testkit.FakeHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Every file, directory and link below a directory, byte for byte (with its mode), so that two
 * moments of a fake host can be compared exactly.
 *
 * @param entries relative path to what is there: the bytes of a file, {@code dir} or {@code link -> target}, with the mode
 */
record TreeSnapshot(Map<String, Entry> entries) {
    /** One path's content and mode. */
    record Entry(String kind, byte[] bytes, String mode) {
        boolean same(Entry other) {
            return kind.equals(other.kind) && Arrays.equals(bytes, other.bytes) && mode.equals(other.mode);
        }

        String shown() {
            return kind.equals("file") ? "'" + new String(bytes, StandardCharsets.UTF_8).replace("\n", "\\n") + "' " + mode
                    : kind + " " + mode;
        }
    }

    /**
     * The snapshot the suites compare: every file of the fake host but the trigger files, which
     * hold no state (the driver core's bind, unbind and drivers_probe among them).
     */
    static TreeSnapshot of(FakeHost host) {
        String dropCaches = FakeHost.DROP_CACHES.substring(1);
        String compactMemory = FakeHost.COMPACT_MEMORY.substring(1);
        return of(host.root(), rel -> !rel.equals(dropCaches) && !rel.equals(compactMemory) && !(rel.startsWith("sys/bus/")
                && (rel.endsWith("/bind") || rel.endsWith("/unbind") || rel.endsWith("/drivers_probe"))));
    }

    static TreeSnapshot of(Path dir) {
        return of(dir, p -> true);
    }

    /** A snapshot of the paths (relative, with '/') that {@code include} accepts. */
    static TreeSnapshot of(Path dir, Predicate<String> include) {
        Map<String, Entry> entries = new TreeMap<>();
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return new TreeSnapshot(entries);
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                String rel = dir.relativize(p).toString();
                if (rel.isEmpty() || !include.test(rel)) {
                    continue;
                }
                String mode = Files.isSymbolicLink(p) ? "" : PosixFilePermissions.toString(Files.getPosixFilePermissions(p,
                        LinkOption.NOFOLLOW_LINKS));
                if (Files.isSymbolicLink(p)) {
                    entries.put(rel, new Entry("link", Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8), mode));
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    entries.put(rel, new Entry("dir", new byte[0], mode));
                } else {
                    entries.put(rel, new Entry("file", Files.readAllBytes(p), mode));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new TreeSnapshot(entries);
    }

    /** What differs from {@code before}, one line per path; empty when the trees are identical. */
    List<String> diff(TreeSnapshot before) {
        List<String> out = new ArrayList<>();
        Set<String> paths = new TreeSet<>(before.entries.keySet());
        paths.addAll(entries.keySet());
        for (String path : paths) {
            Entry was = before.entries.get(path);
            Entry now = entries.get(path);
            if (was == null) {
                out.add("added   " + path + " " + now.shown());
            } else if (now == null) {
                out.add("removed " + path + " (was " + was.shown() + ")");
            } else if (!was.same(now)) {
                out.add("changed " + path + ": " + was.shown() + " -> " + now.shown());
            }
        }
        return out;
    }
}
