package io.github.libvirthooks.sysfs.hugetlb;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A hugepage size in bytes, with the kernel's spellings of it: the sysfs directory name
 * ({@code hugepages-2048kB}), the cgroup file name part ({@code 2MB} in
 * {@code hugetlb.2MB.max}) and the boot parameter ({@code hugepagesz=2M}).
 *
 * @param bytes the page size; a power of two of at least 64 KiB (the smallest hugepage any
 *              architecture offers)
 */
public record HugePageSize(long bytes) implements Comparable<HugePageSize> {
    private static final long KIB = 1024L;
    private static final long MIB = KIB * 1024;
    private static final long GIB = MIB * 1024;
    private static final long TIB = GIB * 1024;
    /** Smallest hugepage size of any architecture (arm64 contiguous PTEs with 4 KiB pages). */
    private static final long MIN_BYTES = 64 * KIB;

    /** 2 MiB: the x86-64 PMD page, the default hugepage size on most hosts. */
    public static final HugePageSize TWO_MIB = new HugePageSize(2 * MIB);
    /** 1 GiB: the x86-64 PUD page ({@code pdpe1gb}), usually reserved at boot. */
    public static final HugePageSize ONE_GIB = new HugePageSize(GIB);

    private static final String DIRECTORY_PREFIX = "hugepages-";
    /** Compiled at the first parse, not wherever a size is made (every hook event makes one). */
    private static final class Patterns {
        static final Pattern USER = Pattern.compile("([0-9]+)\\s*([kmgt])(i?b?)", Pattern.CASE_INSENSITIVE);
    }

    /** Validates the size: a power of two of at least 64 KiB. */
    public HugePageSize {
        if (bytes < MIN_BYTES || Long.bitCount(bytes) != 1) {
            throw new IllegalArgumentException("invalid hugepage size " + bytes
                    + " bytes: hugepage sizes are powers of two of at least 64 KiB");
        }
    }

    /**
     * Parses a sysfs directory name such as {@code hugepages-2048kB} (as in
     * {@code /sys/kernel/mm/hugepages/}).
     *
     * @throws IllegalArgumentException naming the text if it is not such a name
     */
    public static HugePageSize parseDirectoryName(String name) {
        Objects.requireNonNull(name, "name");
        String kib = directoryKib(name);
        if (kib == null) {
            throw new IllegalArgumentException("invalid hugepage directory name '" + name
                    + "': expected hugepages-<n>kB, such as hugepages-2048kB");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(Long.parseLong(kib), KIB);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("invalid hugepage directory name '" + name + "': size too large");
        }
        if (bytes < MIN_BYTES || Long.bitCount(bytes) != 1) {
            throw new IllegalArgumentException("invalid hugepage directory name '" + name
                    + "': hugepage sizes are powers of two of at least 64 KiB");
        }
        return new HugePageSize(bytes);
    }

    /**
     * The number of {@code hugepages-([1-9][0-9]*)kB}, or null when the name is not of that shape; read by
     * hand, as it is read at every hook event and a regex would load the JDK's regex engine for it.
     */
    private static String directoryKib(String name) {
        int from = DIRECTORY_PREFIX.length();
        int to = name.length() - 2;
        if (!name.startsWith(DIRECTORY_PREFIX) || !name.endsWith("kB") || to <= from || name.charAt(from) == '0') {
            return null;
        }
        for (int i = from; i < to; i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return null;
            }
        }
        return name.substring(from, to);
    }

    /** True if {@code name} looks like a hugepage size directory at all ({@code hugepages-...}). */
    static boolean isDirectoryName(String name) {
        return name.startsWith(DIRECTORY_PREFIX);
    }

    /**
     * Parses a size as a user writes it: a number with a binary unit, {@code 2M},
     * {@code 2MiB}, {@code 2MB}, {@code 1G}, {@code 1GiB}, {@code 2048k}, {@code 2048kB},
     * {@code 2 MiB} (units are powers of 1024 and case-insensitive, as in the kernel's own
     * {@code hugepagesz=}).
     *
     * @throws IllegalArgumentException naming the text if it has no unit, is not a number
     *                                  with a unit, or is not a possible hugepage size
     */
    public static HugePageSize parse(String text) {
        Objects.requireNonNull(text, "text");
        Matcher m = Patterns.USER.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid hugepage size '" + text
                    + "': expected a number and a unit, such as 2M, 2MiB, 1G, 1GiB or 2048kB");
        }
        long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> KIB;
            case "m" -> MIB;
            case "g" -> GIB;
            default -> TIB;
        };
        long bytes;
        try {
            bytes = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("invalid hugepage size '" + text + "': too large");
        }
        if (bytes < MIN_BYTES || Long.bitCount(bytes) != 1) {
            throw new IllegalArgumentException("invalid hugepage size '" + text
                    + "': hugepage sizes are powers of two of at least 64 KiB, such as 2M or 1G");
        }
        return new HugePageSize(bytes);
    }

    /** The size in KiB, as in the sysfs directory name. */
    public long kilobytes() {
        return bytes / KIB;
    }

    /** The sysfs directory name: {@code hugepages-2048kB}. */
    public String directoryName() {
        return DIRECTORY_PREFIX + kilobytes() + "kB";
    }

    /** The value for the kernel command line's {@code hugepagesz=}: {@code 2M}, {@code 1G}. */
    public String bootParameter() {
        if (bytes % GIB == 0) {
            return bytes / GIB + "G";
        }
        if (bytes % MIB == 0) {
            return bytes / MIB + "M";
        }
        return bytes / KIB + "K";
    }

    /** Bytes of {@code pages} pages of this size. */
    public long bytesOf(long pages) {
        return Math.multiplyExact(pages, bytes);
    }

    // equals and hashCode written out: a record's generated ones bootstrap an invokedynamic call site
    // (java.lang.runtime.ObjectMethods), about 25 ms in the hook's cold JVM, where a pool is a map key.
    @Override
    public boolean equals(Object other) {
        return other instanceof HugePageSize o && o.bytes == bytes;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(bytes);
    }

    @Override
    public int compareTo(HugePageSize other) {
        return Long.compare(bytes, other.bytes);
    }

    /** For messages: {@code 2 MiB}, {@code 1 GiB}, {@code 64 KiB}. */
    @Override
    public String toString() {
        if (bytes % TIB == 0) {
            return bytes / TIB + " TiB";
        }
        if (bytes % GIB == 0) {
            return bytes / GIB + " GiB";
        }
        if (bytes % MIB == 0) {
            return bytes / MIB + " MiB";
        }
        return bytes / KIB + " KiB";
    }
}
