package io.github.libvirthooks.features.hook;

import io.github.libvirthooks.features.engine.HookInvocation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain text log of every change made and undone, one line each, in the state directory:
 * {@code status} shows its tail, and a user can read it after the fact. Kept bounded, since it
 * lives in {@code /run} (memory).
 */
public final class HookLog {
    static final long MAX_BYTES = 256 * 1024;

    private final Path file;
    private final Clock clock;

    public HookLog(Path file, Clock clock) {
        this.file = file;
        this.clock = clock;
    }

    public Path file() {
        return file;
    }

    /** Appends a line; a log that cannot be written never fails a hook. */
    /** Where the engine's lines for one event go: {@link #record} (a class, not a lambda: no call site per event). */
    public java.util.function.Consumer<String> linesOf(HookInvocation invocation) {
        return new Lines(this, invocation);
    }

    private static final class Lines implements java.util.function.Consumer<String> {
        private final HookLog log;
        private final HookInvocation invocation;

        Lines(HookLog log, HookInvocation invocation) {
            this.log = log;
            this.invocation = invocation;
        }

        @Override
        public void accept(String line) {
            log.record(invocation, line);
        }
    }

    public void record(HookInvocation invocation, String line) {
        String entry = io.github.libvirthooks.features.state.IsoInstant.format(clock.instant()) + " " + printable(invocation.vmName()) + " " + invocation.event() + ": "
                + line.replace('\n', ' ') + "\n";
        try {
            Files.createDirectories(file.getParent());
            if (Files.exists(file) && Files.size(file) > MAX_BYTES) {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                Files.write(file, lines.subList(lines.size() / 2, lines.size()), StandardCharsets.UTF_8);
            }
            boolean created = !Files.exists(file);
            Files.writeString(file, entry, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            if (created) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            }
        } catch (IOException | UnsupportedOperationException e) {
            // The host changes are journaled; this log is only for people.
        }
    }

    /** The last {@code n} lines. */
    public List<String> tail(int n) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return new ArrayList<>(lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        int shown = 0;
        for (int i = 0; i < s.length() && shown < 200; shown++) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (c < 0x20 || c == 0x7f || c == ' ') {
                out.append(String.format("\\x%02x", c));
            } else {
                out.appendCodePoint(c);
            }
        }
        return out.toString();
    }
}
