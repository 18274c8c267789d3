package io.github.libvirthooks.features.state;

import java.time.Instant;

/**
 * An instant as {@link Instant#toString} writes it and {@link Instant#parse} reads it
 * ({@code 2026-12-01T10:15:30.123Z}), for the journal header and the hook log. The same text,
 * without {@code java.time.format}: initialising {@code DateTimeFormatter} builds every ISO
 * formatter and loads some 60 classes, a few ms of each cold hook event (and {@code LocalDate}
 * reaches it through {@code IsoChronology}), so the calendar is computed here. Anything but the
 * plain UTC shape of the years 0000 to 9999 goes to the JDK's own code.
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
        long seconds = instant.getEpochSecond();
        long days = Math.floorDiv(seconds, 86_400L);
        int secondOfDay = (int) Math.floorMod(seconds, 86_400L);
        // The proleptic Gregorian date of a day count (H. Hinnant's civil_from_days).
        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097L);
        long dayOfEra = z - era * 146_097;
        long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        long shifted = (5 * dayOfYear + 2) / 153;
        int day = (int) (dayOfYear - (153 * shifted + 2) / 5 + 1);
        int month = (int) (shifted < 10 ? shifted + 3 : shifted - 9);
        int year = (int) (yearOfEra + era * 400 + (month <= 2 ? 1 : 0));
        StringBuilder out = new StringBuilder(30);
        digits(out, year, 4).append('-');
        digits(out, month, 2).append('-');
        digits(out, day, 2).append('T');
        digits(out, secondOfDay / 3600, 2).append(':');
        digits(out, secondOfDay / 60 % 60, 2).append(':');
        digits(out, secondOfDay % 60, 2);
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
        int year = number(text, 0, 4);
        int month = number(text, 5, 7);
        int day = number(text, 8, 10);
        int hour = number(text, 11, 13);
        int minute = number(text, 14, 16);
        int second = number(text, 17, 19);
        if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) {
            // Leap seconds, 24:00, a 30th of February: the JDK's rules, whatever they make of it.
            return Instant.parse(text);
        }
        return Instant.ofEpochSecond(epochDay(year, month, day) * 86_400L + hour * 3600L + minute * 60L + second, nano);
    }

    /** The day count of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
    private static long epochDay(int year, int month, int day) {
        long y = month <= 2 ? year - 1 : year;
        long era = Math.floorDiv(y, 400L);
        long yearOfEra = y - era * 400;
        long dayOfYear = (153L * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
        long dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * 146_097 + dayOfEra - 719_468;
    }

    private static int daysIn(int year, int month) {
        if (month == 2) {
            boolean leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
            return leap ? 29 : 28;
        }
        return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
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
