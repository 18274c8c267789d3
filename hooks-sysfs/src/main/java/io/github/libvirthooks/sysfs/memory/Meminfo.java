package io.github.libvirthooks.sysfs.memory;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
    private static final Pattern LINE = Pattern.compile("([A-Za-z0-9_()]+):\\s*(\\d+)(?:\\s+(kB))?\\s*");

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
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                throw badLine(i, line, "expected 'Key: number' or 'Key: number kB'");
            }
            String key = m.group(1);
            boolean kilobytes = m.group(3) != null;
            Field field = Field.of(key);
            if (field == null) {
                continue;
            }
            if (field.bytes != kilobytes) {
                throw badLine(i, line, field.bytes ? "expected a size in kB" : "expected a page count without unit");
            }
            long value;
            try {
                value = Long.parseLong(m.group(2));
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

        static Field of(String key) {
            for (Field f : values()) {
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
