package io.github.libvirthooks.features.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The shapes read by hand on the hook's path accept exactly what the regexes they replace accepted. */
class HandReadShapesTest {
    private static final Pattern PLAIN_PATH = Pattern.compile("/[A-Za-z0-9._/+-]*");
    private static final Pattern SIMPLE_DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m|h)");

    @Test
    void aPlainPathIsWhatThePatternCalledPlain() {
        for (String text : samples("/aZ09._+-x é\\ :\n\0", 20_000)) {
            assertThat(PlainConfig.plainPath(text)).as(text).isEqualTo(PLAIN_PATH.matcher(text).matches());
        }
    }

    @Test
    void aSimpleDurationIsReadAsThePatternReadIt() {
        for (String text : samples("0123456789msh x٣", 20_000)) {
            Duration expected = simple(text.strip());
            Duration actual;
            try {
                actual = Durations.parse(text);
            } catch (IllegalArgumentException e) {
                actual = null;
            }
            if (expected != null) {
                assertThat(actual).as(text).isEqualTo(expected);
            } else if (!text.strip().regionMatches(true, 0, "P", 0, 1)) {
                assertThat(actual).as(text).isNull();
            }
        }
    }

    private static Duration simple(String s) {
        java.util.regex.Matcher m = SIMPLE_DURATION.matcher(s);
        if (!m.matches()) {
            return null;
        }
        long n = Long.parseLong(m.group(1));
        switch (m.group(2)) {
            case "ms": return Duration.ofMillis(n);
            case "s": return Duration.ofSeconds(n);
            case "m": return Duration.ofMinutes(n);
            default: return Duration.ofHours(n);
        }
    }

    /** Short strings over an alphabet, fixed seed, plus the edge cases. */
    static List<String> samples(String alphabet, int count) {
        Random random = new Random(21);
        List<String> out = new java.util.ArrayList<>(List.of("", "/", "//", "0s", "000000000ms", "1234567890s", "30", "s", " 30s ",
                "30S", "30 s", "9h", "1m", "10ms"));
        for (int i = 0; i < count; i++) {
            StringBuilder s = new StringBuilder();
            int length = random.nextInt(12);
            for (int j = 0; j < length; j++) {
                s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            out.add(s.toString());
        }
        return out;
    }
}
