package io.github.libvirthooks.features.state;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The journal's text format, versioned on its first line. One record per line, fields
 * separated by spaces and percent-encoded, so that any VM name or file content survives:
 * <pre>
 * libvirt-hooks-journal 2
 * vm win10 uuid 6f1c... updated 2026-11-25T10:00:00Z
 * change cfscpu /proc/sys/kernel/sched_rt_runtime_us after=-1 before=950000
 * claim hugepages 2048kB:node0 added=512 needed=512 phase=held
 * step hugepages /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages after=512 before=0 claim=2048kB:node0 op=write
 * end 5
 * </pre>
 * The closing {@code end N} line makes a truncated file detectable. Version 1 (written until
 * 0.1.0, the same lines without {@code step}) is still read, so that an upgrade while VMs run
 * gives back what the older release applied.
 */
final class JournalFormat {
    static final String MAGIC = "libvirt-hooks-journal";
    static final int VERSION = 2;
    /** Versions this release reads: its own and every older one. */
    static final java.util.Set<String> READABLE = java.util.Set.of("1", "2");

    private JournalFormat() {
    }

    static String write(VmJournal journal) {
        StringBuilder out = new StringBuilder();
        out.append(MAGIC).append(' ').append(VERSION).append('\n');
        out.append("vm ").append(enc(journal.vmName())).append(" uuid ").append(enc(journal.uuid()))
                .append(" updated ").append(IsoInstant.format(journal.updated())).append('\n');
        for (JournalEntry e : journal.entries()) {
            out.append(e.kind().name().toLowerCase(java.util.Locale.ROOT)).append(' ').append(enc(e.feature()))
                    .append(' ').append(enc(e.key()));
            for (Map.Entry<String, String> v : e.values().entrySet()) {
                out.append(' ').append(enc(v.getKey())).append('=').append(enc(v.getValue()));
            }
            out.append('\n');
        }
        out.append("end ").append(journal.entries().size() + 2).append('\n');
        return out.toString();
    }

    static VmJournal read(String text, String source) {
        String[] lines = text.split("\n", -1);
        if (lines.length < 3 || !lines[0].startsWith(MAGIC + " ")) {
            throw new JournalException(source + ": not a libvirt-hooks journal");
        }
        if (!READABLE.contains(lines[0].substring(MAGIC.length() + 1))) {
            throw new JournalException(source + ": journal format '" + lines[0] + "' is not supported by this version (expects "
                    + String.join(" or ", new java.util.TreeSet<>(READABLE)) + ")");
        }
        String[] head = lines[1].split(" ");
        if (head.length != 6 || !head[0].equals("vm") || !head[2].equals("uuid") || !head[4].equals("updated")) {
            throw new JournalException(source + ": damaged header line");
        }
        Instant updated;
        try {
            updated = IsoInstant.parse(head[5]);
        } catch (DateTimeParseException e) {
            throw new JournalException(source + ": damaged time stamp");
        }
        List<JournalEntry> entries = new ArrayList<>();
        int i = 2;
        for (; i < lines.length && !lines[i].startsWith("end "); i++) {
            try {
                entries.add(entry(lines[i], source, i + 1));
            } catch (JournalException e) {
                throw e.getMessage().startsWith(source) ? e : new JournalException(source + ":" + (i + 1) + ": " + e.getMessage());
            }
        }
        if (i >= lines.length || !lines[i].equals("end " + (entries.size() + 2))) {
            throw new JournalException(source + ": truncated journal (no valid end line)");
        }
        try {
            return new VmJournal(dec(head[1]), dec(head[3]), updated, entries);
        } catch (JournalException e) {
            throw new JournalException(source + ":2: " + e.getMessage());
        }
    }

    /**
     * The VM a journal names on its header line, even when the rest cannot be read, so that the
     * user can be told which VM's journal is damaged. Empty when the header is unreadable too.
     */
    static Optional<String> vmName(String text) {
        String[] lines = text.split("\n", 3);
        if (lines.length < 2 || !lines[0].startsWith(MAGIC + " ")) {
            return Optional.empty();
        }
        String[] head = lines[1].split(" ");
        if (head.length < 2 || !head[0].equals("vm")) {
            return Optional.empty();
        }
        try {
            String name = dec(head[1]);
            return name.isEmpty() ? Optional.empty() : Optional.of(name);
        } catch (JournalException e) {
            return Optional.empty();
        }
    }

    private static JournalEntry entry(String line, String source, int lineNo) {
        String[] f = line.split(" ");
        if (f.length < 3) {
            throw new JournalException(source + ":" + lineNo + ": damaged entry");
        }
        JournalEntry.Kind kind = switch (f[0]) {
            case "change" -> JournalEntry.Kind.CHANGE;
            case "claim" -> JournalEntry.Kind.CLAIM;
            case "step" -> JournalEntry.Kind.STEP;
            default -> throw new JournalException(source + ":" + lineNo + ": unknown entry kind '" + f[0] + "'");
        };
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 3; i < f.length; i++) {
            int eq = f[i].indexOf('=');
            if (eq <= 0) {
                throw new JournalException(source + ":" + lineNo + ": damaged value '" + f[i] + "'");
            }
            values.put(dec(f[i].substring(0, eq)), dec(f[i].substring(eq + 1)));
        }
        return new JournalEntry(dec(f[1]), kind, dec(f[2]), values);
    }

    static String enc(String s) {
        return s.isEmpty() ? "%" : URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String dec(String s) {
        if (s.equals("%")) {
            return "";
        }
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new JournalException("damaged journal field '" + s + "'");
        }
    }
}
