package io.github.libvirthooks.app.hostpower;

import java.time.Duration;
import picocli.CommandLine;

/** {@code 90s}, {@code 3m} or ISO-8601 {@code PT90S}. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        String s = value.strip();
        try {
            Duration d;
            if (s.matches("[0-9]{1,6}s")) {
                d = Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
            } else if (s.matches("[0-9]{1,5}m")) {
                d = Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
            } else {
                d = Duration.parse(s);
            }
            if (!d.isNegative() && !d.isZero()) {
                return d;
            }
        } catch (java.time.format.DateTimeParseException e) {
            // one message below says what is allowed
        }
        throw new CommandLine.TypeConversionException("'" + value + "' is not a duration: use e.g. 90s, 3m or PT90S");
    }
}
