package io.github.libvirthooks.features.state;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * An instant as {@link Instant#toString} writes it and {@link Instant#parse} reads it
 * ({@code 2026-12-01T10:15:30.123Z}), for the journal header and the hook log. The same text,
 * without {@code java.time.format}: initialising {@code DateTimeFormatter} builds every ISO
 * formatter and loads some 60 classes, a few ms of each cold hook event. Anything but the plain
 * UTC shape of the years 0000 to 9999 goes to the JDK's own code.
 */
public final class IsoInstant {
    private IsoInstant() {
    }

    /** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z, in seconds since the epoch. */
    private static final long FIRST = -62_167_219_200L;
    private static final long LAST = 253_402_300_799L;

    /** Exactly {@code instant.toString()}. */
    public static String format(Instant instant) {
        if (instant.getEpochSecond() < FIRST || instant.getEpochSecond() > LAST) {
            return instant.toString();
        }
        LocalDateTime t = LocalDateTime.ofEpochSecond(instant.getEpochSecond(), 0, ZoneOffset.UTC);
        StringBuilder out = new StringBuilder(30);
        digits(out, t.getYear(), 4).append('-');
        digits(out, t.getMonthValue(), 2).append('-');
        digits(out, t.getDayOfMonth(), 2).append('T');
        digits(out, t.getHour(), 2).append(':');
        digits(out, t.getMinute(), 2).append(':');
        digits(out, t.getSecond(), 2);
        int nano = instant.getNano();
        // As ISO_INSTANT prints it: milliseconds, microseconds or nanoseconds, whichever holds the value.
        if (nano > 0) {
            out.append('.');
            if (nano % 1_000_000 == 0) {
                digits(out, nano / 1_000_000, 3);
            } else if (nano % 1000 == 0) {
                digits(out, nano / 1000, 6);
            } else {
                digits(out, nano, 9);
            }
        }
        return out.append('Z').toString();
    }

    /**
     * What {@link Instant#parse} makes of the text.
     *
     * @throws java.time.format.DateTimeParseException as {@link Instant#parse} does
     */
    public static Instant parse(String text) {
        // yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z; anything else, and any value out of range, is the JDK's to read or refuse.
        int n = text.length();
        if (n < 20 || n > 30 || n == 21 || text.charAt(n - 1) != 'Z' || !shape(text, "dddd-dd-ddTdd:dd:dd")) {
            return Instant.parse(text);
        }
        int nano = 0;
        if (n > 20) {
            if (text.charAt(19) != '.') {
                return Instant.parse(text);
            }
            for (int i = 20; i < n - 1; i++) {
                char c = text.charAt(i);
                if (c < '0' || c > '9') {
                    return Instant.parse(text);
                }
                nano = nano * 10 + (c - '0');
            }
            for (int i = n - 1; i < 29; i++) {
                nano *= 10;
            }
        }
        try {
            LocalDateTime t = LocalDateTime.of(number(text, 0, 4), number(text, 5, 7), number(text, 8, 10), number(text, 11, 13),
                    number(text, 14, 16), number(text, 17, 19), nano);
            return t.toInstant(ZoneOffset.UTC);
        } catch (DateTimeException e) {
            return Instant.parse(text);
        }
    }

    private static boolean shape(String text, String pattern) {
        for (int i = 0; i < pattern.length(); i++) {
            char p = pattern.charAt(i);
            char c = text.charAt(i);
            if (p == 'd' ? c < '0' || c > '9' : c != p) {
                return false;
            }
        }
        return true;
    }

    private static int number(String text, int from, int to) {
        int v = 0;
        for (int i = from; i < to; i++) {
            v = v * 10 + (text.charAt(i) - '0');
        }
        return v;
    }

    private static StringBuilder digits(StringBuilder out, int value, int width) {
        String s = Integer.toString(value);
        for (int i = s.length(); i < width; i++) {
            out.append('0');
        }
        return out.append(s);
    }
}
