package io.github.libvirthooks.app.hostpower;

import java.time.Duration;
import picocli.CommandLine;

/** {@code 90s}, {@code 3m} or ISO-8601 {@code PT90S}. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        try {
            Duration d = io.github.libvirthooks.features.config.Durations.parse(value);
            if (!d.isZero()) {
                return d;
            }
        } catch (IllegalArgumentException e) {
            // one message below says what is allowed
        }
        throw new CommandLine.TypeConversionException("'" + value + "' is not a duration: use e.g. 90s, 3m, 500ms or PT90S");
    }
}
