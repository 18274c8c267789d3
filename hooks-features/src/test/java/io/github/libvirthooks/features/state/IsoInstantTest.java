package io.github.libvirthooks.features.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IsoInstantTest {
    @Test
    void writesWhatInstantToStringWrites() {
        Random random = new Random(21);
        List<Instant> edges = List.of(Instant.EPOCH, Instant.parse("0000-01-01T00:00:00Z"), Instant.parse("9999-12-31T23:59:59.999999999Z"),
                Instant.parse("2026-12-01T10:15:30.100Z"), Instant.parse("2026-12-01T10:15:30.000100Z"),
                Instant.parse("2026-12-01T10:15:30.000000100Z"), Instant.parse("2024-02-29T23:59:59Z"), Instant.ofEpochSecond(-1, 5),
                Instant.parse("+10000-01-01T00:00:00Z"), Instant.parse("-0001-12-31T23:59:59Z"), Instant.MIN, Instant.MAX);
        for (Instant instant : edges) {
            assertThat(IsoInstant.format(instant)).isEqualTo(instant.toString());
        }
        for (int i = 0; i < 20_000; i++) {
            Instant instant = Instant.ofEpochSecond(random.nextLong() % 253_402_300_800L, random.nextInt(4) == 0 ? 0
                    : random.nextInt(3) == 0 ? random.nextInt(1000) * 1_000_000 : random.nextInt(1_000_000_000));
            assertThat(IsoInstant.format(instant)).isEqualTo(instant.toString());
            assertThat(IsoInstant.parse(instant.toString())).isEqualTo(instant);
        }
    }

    @Test
    void readsWhatInstantParseReadsAndRefusesWhatItRefuses() {
        for (String text : List.of("2026-12-01T10:15:30Z", "2026-12-01T10:15:30.1Z", "2026-12-01T10:15:30.123456789Z", "2026-12-01T10:15:30.Z",
                "2026-12-01T23:59:60Z", "+12026-12-01T10:15:30Z", "2026-12-01T10:15:30+01:00", "2026-02-30T10:15:30Z",
                "2026-12-01T24:00:00Z")) {
            Instant jdk;
            try {
                jdk = Instant.parse(text);
            } catch (DateTimeParseException e) {
                assertThatThrownBy(() -> IsoInstant.parse(text)).as(text).isInstanceOf(DateTimeParseException.class);
                continue;
            }
            assertThat(IsoInstant.parse(text)).as(text).isEqualTo(jdk);
        }
        for (String text : List.of("", "2026-13-01T10:15:30Z", "2026-12-01T10:15:30.1234567890Z",
                "2026-12-01 10:15:30Z", "2026-12-01T25:15:30Z", "2026-12-01T10:15:30", "2026-12-01T10:15Z", "x")) {
            assertThatThrownBy(() -> Instant.parse(text)).as(text).isInstanceOf(DateTimeParseException.class);
            assertThatThrownBy(() -> IsoInstant.parse(text)).as(text).isInstanceOf(DateTimeParseException.class);
        }
    }
}
