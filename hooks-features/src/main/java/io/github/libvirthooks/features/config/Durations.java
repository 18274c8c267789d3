package io.github.libvirthooks.features.config;

import io.github.libvirthooks.features.engine.FeatureException;
import java.time.Duration;
import java.time.format.DateTimeParseException;

/**
 * The one duration syntax of the whole program, in properties, environment variables, XML
 * attributes and command-line options alike: {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}
 * or ISO-8601 {@code PT30S}.
 */
public final class Durations {
    public static final String ALLOWED = "a duration with a unit, such as 30s, 500ms, 2m, 1h or PT30S";

    private Durations() {
    }

    /** @throws IllegalArgumentException saying what is allowed */
    public static Duration parse(String text) {
        String s = text.strip();
        // [0-9]{1,9}(ms|s|m|h), read by hand: a regex here loads the JDK's regex engine into every hook event.
        int digits = 0;
        while (digits < s.length() && s.charAt(digits) >= '0' && s.charAt(digits) <= '9') {
            digits++;
        }
        if (digits >= 1 && digits <= 9) {
            long n = Long.parseLong(s.substring(0, digits));
            switch (s.substring(digits)) {
                case "ms": return Duration.ofMillis(n);
                case "s": return Duration.ofSeconds(n);
                case "m": return Duration.ofMinutes(n);
                case "h": return Duration.ofHours(n);
                default: break;
            }
        }
        if (s.regionMatches(true, 0, "P", 0, 1)) {
            try {
                Duration d = Duration.parse(s);
                if (!d.isNegative()) {
                    return d;
                }
            } catch (DateTimeParseException e) {
                // fall through to the one message that says what is allowed
            }
        }
        throw new IllegalArgumentException("expected " + ALLOWED);
    }

    /**
     * A feature's duration option, from {@code min} to {@code max}.
     *
     * @param what the option as the user wrote it, for the message ({@code dohibernate timeout})
     * @param why  appended to the message, or empty
     * @throws FeatureException naming the option, its value, the range and the syntax
     */
    public static Duration option(String what, String text, Duration min, Duration max, String why) {
        Duration d;
        try {
            d = parse(text);
        } catch (IllegalArgumentException e) {
            d = null;
        }
        if (d == null || d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new FeatureException("invalid " + what + " '" + text + "': a duration from " + shown(min) + " to " + shown(max)
                    + ", such as 30s, 500ms, 2m or PT30S" + (why.isEmpty() ? "" : " (" + why + ")"));
        }
        return d;
    }

    /** The shortest text features accept back: whole seconds as {@code 10s}, else milliseconds. */
    public static String format(Duration d) {
        if (d.toMillis() % 1000 == 0) {
            return d.toSeconds() + "s";
        }
        return d.toMillis() + "ms";
    }

    /** For messages: {@code 10m}, {@code 90s}, {@code 100ms}. */
    static String shown(Duration d) {
        long ms = d.toMillis();
        if (ms >= 3_600_000 && ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms >= 60_000 && ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
