package io.github.libvirthooks.sysfs.cpu;

import java.util.BitSet;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * An immutable set of CPU (or NUMA node) numbers, parsed from and formatted to the kernel's
 * two formats: the list format ({@code 0-3,8-11}, as in {@code cpuset.cpus} and
 * {@code smp_affinity_list}) and the hex mask format with comma-separated 32-bit groups
 * ({@code ff,00000000}, as in {@code smp_affinity} and workqueue {@code cpumask}).
 */
public final class CpuSet {
    /** The kernel's NR_CPUS upper bound is 8192; larger numbers are garbage. */
    public static final int MAX_CPU = 8191;

    private static final CpuSet EMPTY = new CpuSet(new BitSet());

    private final BitSet bits;

    private CpuSet(BitSet bits) {
        this.bits = bits;
    }

    /** The empty set. */
    public static CpuSet empty() {
        return EMPTY;
    }

    /** A set of the given numbers. */
    public static CpuSet of(int... cpus) {
        BitSet bits = new BitSet();
        for (int cpu : cpus) {
            checkRange(cpu, String.valueOf(cpu));
            bits.set(cpu);
        }
        return new CpuSet(bits);
    }

    /** The numbers {@code from..to}, both included. */
    public static CpuSet range(int from, int to) {
        checkRange(from, from + "-" + to);
        checkRange(to, from + "-" + to);
        if (from > to) {
            throw new IllegalArgumentException("invalid cpu range '" + from + "-" + to + "': start is after end");
        }
        BitSet bits = new BitSet();
        bits.set(from, to + 1);
        return new CpuSet(bits);
    }

    /**
     * Parses the kernel's list format: comma-separated numbers and ranges, optionally with a
     * stride ({@code 0-7:2}), surrounding whitespace and newlines ignored; empty text is the
     * empty set.
     *
     * @throws IllegalArgumentException naming the text and the bad part
     */
    public static CpuSet parseList(String text) {
        Objects.requireNonNull(text, "text");
        String trimmed = text.strip();
        BitSet bits = new BitSet();
        if (trimmed.isEmpty()) {
            return EMPTY;
        }
        for (String rawPart : trimmed.split(",", -1)) {
            String part = rawPart.strip();
            if (part.isEmpty()) {
                throw invalidList(text, "empty element");
            }
            int stride = 1;
            int colon = part.indexOf(':');
            if (colon >= 0) {
                stride = parseNumber(text, part.substring(colon + 1));
                if (stride < 1) {
                    throw invalidList(text, "stride must be at least 1 in '" + part + "'");
                }
                part = part.substring(0, colon);
                if (part.indexOf('-') < 0) {
                    throw invalidList(text, "a stride needs a range in '" + rawPart.strip() + "'");
                }
            }
            int dash = part.indexOf('-');
            if (dash >= 0) {
                int from = parseNumber(text, part.substring(0, dash));
                int to = parseNumber(text, part.substring(dash + 1));
                if (from > to) {
                    throw invalidList(text, "range '" + part + "' runs backwards");
                }
                for (int cpu = from; cpu <= to; cpu += stride) {
                    bits.set(cpu);
                }
            } else {
                bits.set(parseNumber(text, part));
            }
        }
        return new CpuSet(bits);
    }

    /**
     * Parses the kernel's hex mask format: 32-bit groups of hex digits separated by commas,
     * most significant group first ({@code 00000000,000000ff}), with or without leading zeros
     * or a {@code 0x} prefix.
     *
     * @throws IllegalArgumentException naming the text and the bad part
     */
    public static CpuSet parseMask(String text) {
        Objects.requireNonNull(text, "text");
        String trimmed = text.strip();
        if (trimmed.startsWith("0x") || trimmed.startsWith("0X")) {
            trimmed = trimmed.substring(2);
        }
        if (trimmed.isEmpty()) {
            throw invalidMask(text, "no hex digits");
        }
        String[] groups = trimmed.split(",", -1);
        if ((long) groups.length * 32 > MAX_CPU + 1) {
            throw invalidMask(text, "more than " + (MAX_CPU + 1) + " bits");
        }
        BitSet bits = new BitSet();
        int base = 0;
        for (int g = groups.length - 1; g >= 0; g--) {
            String group = groups[g].strip();
            if (group.isEmpty() || (groups.length > 1 && group.length() > 8)) {
                throw invalidMask(text, "group '" + group + "' is not 1 to 8 hex digits");
            }
            if (groups.length == 1 && group.length() > (MAX_CPU + 1) / 4) {
                throw invalidMask(text, "more than " + (MAX_CPU + 1) + " bits");
            }
            for (int i = group.length() - 1, bit = base; i >= 0; i--, bit += 4) {
                int nibble = Character.digit(group.charAt(i), 16);
                if (nibble < 0) {
                    throw invalidMask(text, "'" + group.charAt(i) + "' is not a hex digit");
                }
                for (int b = 0; b < 4; b++) {
                    if ((nibble & (1 << b)) != 0) {
                        bits.set(bit + b);
                    }
                }
            }
            base += 32;
        }
        return new CpuSet(bits);
    }

    /** The list format, with ranges collapsed: {@code 0-3,8-11}; empty text for the empty set. */
    public String toList() {
        StringBuilder out = new StringBuilder();
        int start = bits.nextSetBit(0);
        while (start >= 0) {
            int end = bits.nextClearBit(start) - 1;
            if (out.length() > 0) {
                out.append(',');
            }
            out.append(start);
            if (end > start) {
                out.append('-').append(end);
            }
            start = bits.nextSetBit(end + 1);
        }
        return out.toString();
    }

    /**
     * The hex mask format as the kernel prints it for {@code nrCpuIds} CPUs: comma-separated
     * 32-bit groups of 8 digits, the first group only as wide as needed
     * ({@code ff} for 8 CPUs, {@code 00000000,000000ff} for 64).
     */
    public String toMask(int nrCpuIds) {
        if (nrCpuIds < 1 || nrCpuIds > MAX_CPU + 1) {
            throw new IllegalArgumentException("nrCpuIds must be 1.." + (MAX_CPU + 1) + ", was " + nrCpuIds);
        }
        if (bits.length() > nrCpuIds) {
            throw new IllegalArgumentException("cpu " + (bits.length() - 1) + " does not fit a mask of " + nrCpuIds + " cpus");
        }
        int groups = (nrCpuIds + 31) / 32;
        StringBuilder out = new StringBuilder();
        for (int g = groups - 1; g >= 0; g--) {
            long word = 0;
            for (int b = 0; b < 32; b++) {
                if (bits.get(g * 32 + b)) {
                    word |= 1L << b;
                }
            }
            int digits = 8;
            if (g == groups - 1) {
                int bitsInTop = nrCpuIds - g * 32;
                digits = (bitsInTop + 3) / 4;
            }
            String hex = Long.toHexString(word);
            out.append("0".repeat(Math.max(0, digits - hex.length()))).append(hex);
            if (g > 0) {
                out.append(',');
            }
        }
        return out.toString();
    }

    /** The numbers in this set or in {@code other}. */
    public CpuSet union(CpuSet other) {
        BitSet result = (BitSet) bits.clone();
        result.or(other.bits);
        return new CpuSet(result);
    }

    /** The numbers in this set but not in {@code other}. */
    public CpuSet difference(CpuSet other) {
        BitSet result = (BitSet) bits.clone();
        result.andNot(other.bits);
        return new CpuSet(result);
    }

    /** The numbers in both this set and {@code other}. */
    public CpuSet intersection(CpuSet other) {
        BitSet result = (BitSet) bits.clone();
        result.and(other.bits);
        return new CpuSet(result);
    }

    /** True if {@code cpu} is in the set; false for negative numbers. */
    public boolean contains(int cpu) {
        return cpu >= 0 && bits.get(cpu);
    }

    /** True if every number of {@code other} is in this set; always true for an empty {@code other}. */
    public boolean containsAll(CpuSet other) {
        return other.difference(this).isEmpty();
    }

    /** True if the two sets have at least one number in common. */
    public boolean intersects(CpuSet other) {
        return bits.intersects(other.bits);
    }

    /** How many numbers the set holds. */
    public int size() {
        return bits.cardinality();
    }

    /** True if the set holds no number. */
    public boolean isEmpty() {
        return bits.isEmpty();
    }

    /** The numbers in ascending order. */
    public IntStream stream() {
        return bits.stream();
    }

    /** The highest number, or -1 for the empty set. */
    public int last() {
        return bits.length() - 1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CpuSet other && bits.equals(other.bits);
    }

    @Override
    public int hashCode() {
        return bits.hashCode();
    }

    /** The list format. */
    @Override
    public String toString() {
        return toList();
    }

    private static int parseNumber(String text, String digits) {
        String d = digits.strip();
        if (d.isEmpty() || d.length() > 5 || !d.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw invalidList(text, "'" + d + "' is not a cpu number");
        }
        int n = Integer.parseInt(d);
        if (n > MAX_CPU) {
            throw invalidList(text, "cpu " + n + " is above the kernel limit " + MAX_CPU);
        }
        return n;
    }

    private static void checkRange(int cpu, String context) {
        if (cpu < 0 || cpu > MAX_CPU) {
            throw new IllegalArgumentException("invalid cpu '" + context + "': must be 0.." + MAX_CPU);
        }
    }

    private static IllegalArgumentException invalidList(String text, String why) {
        return new IllegalArgumentException("invalid cpu list '" + abbreviate(text) + "': " + printable(why));
    }

    private static IllegalArgumentException invalidMask(String text, String why) {
        return new IllegalArgumentException("invalid cpu mask '" + abbreviate(text) + "': " + printable(why));
    }

    /** Garbage from a file or an attribute must not break the one-line message. */
    private static String abbreviate(String s) {
        String oneLine = printable(s.strip());
        return oneLine.length() <= 60 ? oneLine : oneLine.substring(0, 57) + "...";
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().limit(200).forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }
}
