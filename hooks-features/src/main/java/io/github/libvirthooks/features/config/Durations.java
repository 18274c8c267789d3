package io.github.libvirthooks.features.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as users write them in the config: {@code 30s}, {@code 500ms}, {@code 2m}, {@code 1h} or ISO-8601 {@code PT30S}. */
final class Durations {
    static final String ALLOWED = "a duration with a unit, such as 30s, 500ms, 2m, 1h or PT30S";
    private static final Pattern SIMPLE = Pattern.compile("([0-9]{1,9})(ms|s|m|h)");

    private Durations() {
    }

    /** @throws IllegalArgumentException saying what is allowed */
    static Duration parse(String text) {
        String s = text.strip();
        Matcher m = SIMPLE.matcher(s);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
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

    /** The shortest text features accept back: whole seconds as {@code 10s}, else milliseconds. */
    static String format(Duration d) {
        if (d.toMillis() % 1000 == 0) {
            return d.toSeconds() + "s";
        }
        return d.toMillis() + "ms";
    }
}
