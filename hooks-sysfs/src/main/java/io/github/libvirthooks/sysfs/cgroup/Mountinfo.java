package io.github.libvirthooks.sysfs.cgroup;

import io.github.libvirthooks.sysfs.HostRoot;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The mount table of a process, parsed from {@code /proc/self/mountinfo} (proc(5)).
 *
 * <p>Each line reads {@code 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw}:
 * six fixed fields, zero or more optional fields, the separator {@code -}, then the file
 * system type, the source and the super options. The kernel escapes space, tab, newline and
 * backslash in paths as three-digit octal ({@code \040}); they are decoded here, so mount
 * points are real paths.
 */
public final class Mountinfo {
    /** Where the kernel shows the mount table of the reading process. */
    public static final String PATH = "/proc/self/mountinfo";

    private final List<MountinfoEntry> entries;

    private Mountinfo(List<MountinfoEntry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** Reads and parses {@code /proc/self/mountinfo} of {@code host}. */
    public static Mountinfo read(HostRoot host) {
        return parse(host.read(PATH));
    }

    /**
     * Parses mountinfo text; blank lines are ignored.
     *
     * @throws CgroupException naming the line number and the line when a line is malformed
     */
    public static Mountinfo parse(String text) {
        Objects.requireNonNull(text, "text");
        List<MountinfoEntry> entries = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank()) {
                continue;
            }
            entries.add(parseLine(line, i + 1));
        }
        return new Mountinfo(entries);
    }

    /** All mounts, in the kernel's order (parents before children, later mounts last). */
    public List<MountinfoEntry> entries() {
        return entries;
    }

    /** The mounts of one file system type ({@code cgroup2}), in the kernel's order. */
    public List<MountinfoEntry> ofType(String fsType) {
        return entries.stream().filter(e -> e.fsType().equals(fsType)).toList();
    }

    private static MountinfoEntry parseLine(String line, int lineNumber) {
        // Split on single spaces: fields never contain raw spaces (the kernel escapes them),
        // and an empty source shows up as an empty field rather than vanishing.
        String[] fields = line.split(" ", -1);
        int separator = -1;
        for (int i = 0; i < fields.length; i++) {
            if (fields[i].equals("-")) {
                separator = i;
                break;
            }
        }
        if (separator >= 0 && separator < 6 || separator < 0 && fields.length < 6) {
            int before = separator >= 0 ? separator : fields.length;
            throw malformed(lineNumber, line, "expected at least 6 fields before the ' - ' separator, found " + before);
        }
        if (separator < 0) {
            throw malformed(lineNumber, line, "no ' - ' separator between the optional fields and the file system type");
        }
        int after = fields.length - separator - 1;
        if (after != 3) {
            throw malformed(lineNumber, line, "expected 3 fields after the ' - ' separator (type, source, super options), found " + after);
        }
        int mountId = parseId(fields[0], "mount id", lineNumber, line);
        int parentId = parseId(fields[1], "parent id", lineNumber, line);
        String majorMinor = fields[2];
        if (!majorMinor.matches("\\d+:\\d+")) {
            throw malformed(lineNumber, line, "'" + majorMinor + "' is not major:minor");
        }
        String root = unescape(fields[3]);
        String mountPoint = unescape(fields[4]);
        // The root is a path for file systems, but a name such as net:[4026532177] for nsfs mounts.
        if (!mountPoint.startsWith("/")) {
            throw malformed(lineNumber, line, "the mount point must be an absolute path");
        }
        if (fields[separator + 1].isEmpty()) {
            throw malformed(lineNumber, line, "empty file system type");
        }
        List<String> optional = new ArrayList<>();
        for (int i = 6; i < separator; i++) {
            if (fields[i].isEmpty()) {
                throw malformed(lineNumber, line, "empty optional field");
            }
            optional.add(fields[i]);
        }
        return new MountinfoEntry(mountId, parentId, majorMinor, root, mountPoint, fields[5], optional,
                fields[separator + 1], unescape(fields[separator + 2]), fields[separator + 3]);
    }

    private static int parseId(String field, String what, int lineNumber, String line) {
        if (field.isEmpty() || field.length() > 10 || !field.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw malformed(lineNumber, line, what + " '" + field + "' is not a number");
        }
        long value = Long.parseLong(field);
        if (value > Integer.MAX_VALUE) {
            throw malformed(lineNumber, line, what + " '" + field + "' is out of range");
        }
        return (int) value;
    }

    /**
     * Decodes the kernel's {@code \ooo} escapes. Works on UTF-8 bytes, because an escaped
     * byte may be part of a multi-byte character; a backslash not followed by three octal
     * digits is kept as it is.
     */
    static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        byte[] in = field.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        for (int i = 0; i < in.length; i++) {
            if (in[i] == '\\' && i + 3 < in.length && isOctal(in[i + 1]) && isOctal(in[i + 2]) && isOctal(in[i + 3])) {
                int value = (in[i + 1] - '0') * 64 + (in[i + 2] - '0') * 8 + (in[i + 3] - '0');
                if (value <= 0xff) {
                    out.write(value);
                    i += 3;
                    continue;
                }
            }
            out.write(in[i]);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static boolean isOctal(byte b) {
        return b >= '0' && b <= '7';
    }

    private static CgroupException malformed(int lineNumber, String line, String why) {
        String shown = line.length() <= 120 ? line : line.substring(0, 117) + "...";
        return new CgroupException(PATH, PATH + " line " + lineNumber + " is malformed (" + why + "): '" + shown + "'");
    }
}
