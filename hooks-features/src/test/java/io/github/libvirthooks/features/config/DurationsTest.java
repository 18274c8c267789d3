package io.github.libvirthooks.features.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.engine.FeatureException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DurationsTest {
    @Test
    void oneSyntaxForEveryUnitAndIso8601() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Durations.parse(" PT1M30S ")).isEqualTo(Duration.ofSeconds(90));
        for (String bad : List.of("", "10", "10 s", "-1s", "1d", "PT-1S", "1.5s", "10S", "9999999999s")) {
            assertThatThrownBy(() -> Durations.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("expected " + Durations.ALLOWED);
        }
    }

    @Test
    void everyFeatureOptionTakesTheSameSyntaxAndSaysItsRange() {
        // Before: hugepages took only ms and s, service/ddcutil/virtual-nas only whole seconds.
        assertThat(Durations.option("hugepages timeout", "2m", Duration.ZERO, Duration.ofMinutes(10), ""))
                .isEqualTo(Duration.ofMinutes(2));
        assertThat(Durations.option("service timeout", "PT2M", Duration.ofSeconds(1), Duration.ofSeconds(600), ""))
                .isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> Durations.option("service timeout", "11m", Duration.ofSeconds(1), Duration.ofSeconds(600), ""))
                .isInstanceOf(FeatureException.class)
                .hasMessage("invalid service timeout '11m': a duration from 1s to 10m, such as 30s, 500ms, 2m or PT30S");
        assertThatThrownBy(() -> Durations.option("script timeout", "soon", Duration.ofMillis(100), Duration.ofMinutes(10), "why"))
                .hasMessage("invalid script timeout 'soon': a duration from 100ms to 10m, such as 30s, 500ms, 2m or PT30S (why)");
    }

    @Test
    void theFeaturesReadTheirDurationOptionsWithIt() {
        assertThat(io.github.libvirthooks.features.script.ScriptOptions.parse(Map.of("1.exec", "/bin/true", "1.timeout", "PT1M"))
                .scripts().get(0).timeout()).isEqualTo(Duration.ofMinutes(1));
    }
}
