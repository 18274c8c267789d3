package io.github.libvirthooks.app.install;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The feature version of a JDK (17, 25, ...) from the {@code release} file beside its {@code bin/}, read without
 * starting it. Install chooses the hook's start-up cache by it: a class-data archive up to JDK 24, an AOT cache
 * (JEP 483/514) from JDK 25 on.
 */
final class JdkRelease {
    /** The first JDK whose {@code -XX:AOTCacheOutput} writes an AOT cache in one training run. */
    static final int AOT_CACHE = 25;

    private static final Pattern VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"(?:1\\.)?(\\d+)");

    private JdkRelease() {
    }

    /** The feature version of the JDK that {@code java} (a path to its launcher, links followed) belongs to; empty if unknown. */
    static OptionalInt featureVersion(Path java) {
        try {
            Path home = java.toRealPath().getParent().getParent();
            Matcher m = VERSION.matcher(Files.readString(home.resolve("release"), StandardCharsets.UTF_8));
            return m.find() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
    }
}
