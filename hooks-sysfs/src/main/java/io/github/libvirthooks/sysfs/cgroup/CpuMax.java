package io.github.libvirthooks.sysfs.cgroup;

/**
 * The bandwidth limit of {@code cpu.max}: at most {@code quota} microseconds of CPU time in
 * every {@code period} microseconds, or no limit. The kernel's text is {@code max 100000}
 * or {@code 50000 100000}.
 *
 * @param quota  microseconds per period, or {@link #UNLIMITED} for {@code max}
 * @param period length of the period in microseconds (1000 to 1000000)
 */
public record CpuMax(long quota, long period) {
    /** The quota value that stands for {@code max}: no limit. */
    public static final long UNLIMITED = -1;
    /** The kernel's default period, 100 ms. */
    public static final long DEFAULT_PERIOD = 100_000;
    /** The kernel refuses periods and quotas below 1 ms. */
    public static final long MIN_MICROS = 1_000;
    /** The kernel refuses periods above 1 s. */
    public static final long MAX_PERIOD = 1_000_000;
    /** The kernel refuses quotas that do not fit its 44-bit bandwidth arithmetic. */
    public static final long MAX_QUOTA = (1L << 44) - 1;

    /**
     * Validates quota and period against the limits the kernel enforces on a write of
     * {@code cpu.max} ({@link #MIN_MICROS}, {@link #MAX_PERIOD}, {@link #MAX_QUOTA}).
     */
    public CpuMax {
        if (period < MIN_MICROS || period > MAX_PERIOD) {
            throw new IllegalArgumentException("cpu.max period " + period + " us is out of range: must be "
                    + MIN_MICROS + ".." + MAX_PERIOD + " us");
        }
        if (quota != UNLIMITED && (quota < MIN_MICROS || quota > MAX_QUOTA)) {
            throw new IllegalArgumentException("cpu.max quota " + quota + " us is out of range: must be "
                    + MIN_MICROS + ".." + MAX_QUOTA + " us, or unlimited");
        }
    }

    /** No limit, with the given period. */
    public static CpuMax unlimited(long period) {
        return new CpuMax(UNLIMITED, period);
    }

    /** No limit, with the default period: the kernel's initial value {@code max 100000}. */
    public static CpuMax unlimited() {
        return new CpuMax(UNLIMITED, DEFAULT_PERIOD);
    }

    /** At most {@code quota} us of CPU time per {@code period} us. */
    public static CpuMax of(long quota, long period) {
        return new CpuMax(quota, period);
    }

    /** True for {@code max}. */
    public boolean isUnlimited() {
        return quota == UNLIMITED;
    }

    /**
     * Parses {@code max 100000} or {@code 50000 100000}. The kernel always prints both
     * fields; a lone quota (which the kernel accepts on write) keeps the default period.
     *
     * @throws IllegalArgumentException naming the text when it is neither form
     */
    public static CpuMax parse(String text) {
        String trimmed = text.strip();
        String[] fields = trimmed.split("\\s+");
        if (trimmed.isEmpty() || fields.length > 2) {
            throw invalid(text, "expected '<quota|max> <period>'");
        }
        long quota = fields[0].equals("max") ? UNLIMITED : number(text, fields[0], "quota");
        long period = fields.length == 2 ? number(text, fields[1], "period") : DEFAULT_PERIOD;
        try {
            return new CpuMax(quota, period);
        } catch (IllegalArgumentException e) {
            throw invalid(text, e.getMessage());
        }
    }

    /** Exactly the kernel's format: {@code max 100000}, {@code 50000 100000}. */
    @Override
    public String toString() {
        return (isUnlimited() ? "max" : Long.toString(quota)) + " " + period;
    }

    private static long number(String text, String field, String what) {
        if (field.isEmpty() || field.length() > 18 || !field.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw invalid(text, what + " '" + field + "' is not a number");
        }
        return Long.parseLong(field);
    }

    private static IllegalArgumentException invalid(String text, String why) {
        String shown = text.strip();
        shown = shown.length() <= 60 ? shown : shown.substring(0, 57) + "...";
        return new IllegalArgumentException("invalid cpu.max '" + shown + "': " + why);
    }
}
