package io.github.libvirthooks.sysfs.memory;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The parts of {@code /proc/meminfo} that matter for placing a VM's memory: sizes in bytes,
 * hugepage counters in pages of the default hugepage size.
 *
 * <p>The hugepage lines describe only the default size ({@code Hugepagesize}); other sizes
 * are read from {@code /sys/kernel/mm/hugepages}. A kernel without hugetlb support
 * ({@code CONFIG_HUGETLB_PAGE}) prints no hugepage lines; they then read as zero.
 *
 * @param memTotal        {@code MemTotal}, bytes
 * @param memFree         {@code MemFree}, bytes
 * @param memAvailable    {@code MemAvailable}, bytes: the kernel's estimate of memory
 *                        available to new programs without swapping
 * @param hugePagesTotal  {@code HugePages_Total}, pages
 * @param hugePagesFree   {@code HugePages_Free}, pages
 * @param hugePagesRsvd   {@code HugePages_Rsvd}, pages promised to mappings but not yet faulted
 * @param hugePagesSurp   {@code HugePages_Surp}, pages above the persistent pool (overcommit)
 * @param hugepagesize    {@code Hugepagesize}, bytes: the default hugepage size (0 if none)
 */
public record Meminfo(long memTotal, long memFree, long memAvailable,
                      long hugePagesTotal, long hugePagesFree, long hugePagesRsvd, long hugePagesSurp,
                      long hugepagesize) {
    /** The kernel file, as an absolute host path. */
    public static final String PATH = "/proc/meminfo";

    /** {@code Key:   value} with an optional {@code kB} unit; keys may hold parentheses ({@code Active(anon)}). */

    /** Rejects negative values, which the kernel never prints. */
    public Meminfo {
        requireNotNegative("MemTotal", memTotal);
        requireNotNegative("MemFree", memFree);
        requireNotNegative("MemAvailable", memAvailable);
        requireNotNegative("HugePages_Total", hugePagesTotal);
        requireNotNegative("HugePages_Free", hugePagesFree);
        requireNotNegative("HugePages_Rsvd", hugePagesRsvd);
        requireNotNegative("HugePages_Surp", hugePagesSurp);
        requireNotNegative("Hugepagesize", hugepagesize);
    }

    /**
     * Reads and parses {@code /proc/meminfo} below {@code host}.
     *
     * @throws HostAccessException if the file cannot be read or is malformed; the message
     *                             names the offending line
     */
    public static Meminfo read(HostRoot host) {
        String text = host.read(PATH);
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new HostAccessException(PATH, PATH + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses the text of {@code /proc/meminfo}. Every line must have the form
     * {@code Key: number} or {@code Key: number kB}; lines this record does not keep are
     * still checked, since one garbage line means the file is not what we think it is.
     *
     * @throws IllegalArgumentException naming the first bad line (number and text), or the
     *                                  missing {@code MemTotal}, {@code MemFree} or
     *                                  {@code MemAvailable}
     */
    public static Meminfo parse(String text) {
        Objects.requireNonNull(text, "text");
        Map<String, Long> kept = new HashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank() && i == lines.length - 1) {
                break;
            }
            Line m = Line.of(line);
            if (m == null) {
                throw badLine(i, line, "expected 'Key: number' or 'Key: number kB'");
            }
            String key = m.key;
            boolean kilobytes = m.kilobytes;
            Field field = Field.of(key);
            if (field == null) {
                continue;
            }
            if (field.bytes != kilobytes) {
                throw badLine(i, line, field.bytes ? "expected a size in kB" : "expected a page count without unit");
            }
            long value;
            try {
                value = Long.parseLong(m.number);
                if (kilobytes) {
                    value = Math.multiplyExact(value, 1024L);
                }
            } catch (NumberFormatException | ArithmeticException e) {
                throw badLine(i, line, "number too large");
            }
            if (kept.put(key, value) != null) {
                throw badLine(i, line, key + " appears twice");
            }
        }
        return new Meminfo(
                required(kept, "MemTotal"), required(kept, "MemFree"), required(kept, "MemAvailable"),
                kept.getOrDefault("HugePages_Total", 0L), kept.getOrDefault("HugePages_Free", 0L),
                kept.getOrDefault("HugePages_Rsvd", 0L), kept.getOrDefault("HugePages_Surp", 0L),
                kept.getOrDefault("Hugepagesize", 0L));
    }

    /**
     * One line as {@code ([A-Za-z0-9_()]+):\s*(\d+)(?:\s+(kB))?\s*} reads it, read by hand: a prepare reads
     * the whole file, and a regex would load the JDK's regex engine into the hook event for it.
     */
    static final class Line {
        final String key;
        final String number;
        final boolean kilobytes;

        private Line(String key, String number, boolean kilobytes) {
            this.key = key;
            this.number = number;
            this.kilobytes = kilobytes;
        }

        /** The line's parts, or null when it is not of that shape. */
        static Line of(String line) {
            int i = 0;
            int n = line.length();
            while (i < n && keyChar(line.charAt(i))) {
                i++;
            }
            if (i == 0 || i == n || line.charAt(i) != ':') {
                return null;
            }
            String key = line.substring(0, i);
            i = blanks(line, i + 1);
            int digits = i;
            while (i < n && line.charAt(i) >= '0' && line.charAt(i) <= '9') {
                i++;
            }
            if (i == digits) {
                return null;
            }
            String number = line.substring(digits, i);
            int after = blanks(line, i);
            if (after == n) {
                return new Line(key, number, false);
            }
            if (after == i || !line.startsWith("kB", after) || blanks(line, after + 2) != n) {
                return null;
            }
            return new Line(key, number, true);
        }

        private static boolean keyChar(char c) {
            return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '(' || c == ')';
        }

        /** The index after the blanks from {@code i} on; blanks as the regex's {@code \s}: space, tab, CR, LF, VT, FF. */
        private static int blanks(String line, int i) {
            while (i < line.length() && " \t\n\u000B\f\r".indexOf(line.charAt(i)) >= 0) {
                i++;
            }
            return i;
        }
    }

    private enum Field {
        MEM_TOTAL("MemTotal", true),
        MEM_FREE("MemFree", true),
        MEM_AVAILABLE("MemAvailable", true),
        HUGE_PAGES_TOTAL("HugePages_Total", false),
        HUGE_PAGES_FREE("HugePages_Free", false),
        HUGE_PAGES_RSVD("HugePages_Rsvd", false),
        HUGE_PAGES_SURP("HugePages_Surp", false),
        HUGEPAGESIZE("Hugepagesize", true);

        private final String key;
        private final boolean bytes;

        Field(String key, boolean bytes) {
            this.key = key;
            this.bytes = bytes;
        }

        /** values() copies the array at each call, and this is asked once per line of the file. */
        private static final Field[] ALL = values();

        static Field of(String key) {
            for (Field f : ALL) {
                if (f.key.equals(key)) {
                    return f;
                }
            }
            return null;
        }
    }

    private static long required(Map<String, Long> kept, String key) {
        Long value = kept.get(key);
        if (value == null) {
            throw new IllegalArgumentException("no " + key + " line (not a /proc/meminfo of Linux 3.14 or later)");
        }
        return value;
    }

    private static IllegalArgumentException badLine(int index, String line, String why) {
        String shown = line.length() <= 80 ? line : line.substring(0, 77) + "...";
        return new IllegalArgumentException("line " + (index + 1) + " '" + shown + "': " + why);
    }

    private static void requireNotNegative(String key, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(key + " must not be negative: " + value);
        }
    }
}
