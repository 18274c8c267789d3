package io.github.libvirthooks.features.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceClaimTest {
    private static final String UNIT = "scream@win10.service";
    private static final ServiceClaim SCREAM = new ServiceClaim(UNIT, TemplateUnit.parse("scream"), Duration.ofSeconds(90));

    @Test
    void aClaimSurvivesTheJournal() {
        ServiceClaim claim = new ServiceClaim(UNIT, TemplateUnit.parse("scream"), Duration.ofMillis(1500));
        assertThat(ServiceClaim.CODEC.decode(ServiceClaim.CODEC.resource(claim), ServiceClaim.CODEC.encode(claim))).isEqualTo(claim);
    }

    @Test
    void decodesTheClaimTodaysJournalsHold() {
        Map<String, String> today = Map.of("template", "scream@.service", "timeout-ms", "90000");
        assertThat(ServiceClaim.CODEC.decode(UNIT, today)).isEqualTo(SCREAM);
        assertThat(ServiceClaim.CODEC.encode(SCREAM)).isEqualTo(today);
    }

    @Test
    void aMissingOrMalformedValueIsRefusedByName() {
        assertThatThrownBy(() -> ServiceClaim.CODEC.decode(UNIT, Map.of("timeout-ms", "90000")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'template'");
        assertThatThrownBy(() -> ServiceClaim.CODEC.decode(UNIT, Map.of("template", "scream@.service")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'timeout-ms'");
        assertThatThrownBy(() -> ServiceClaim.CODEC.decode(UNIT, Map.of("template", "scream@.service", "timeout-ms", "soon")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout-ms='soon'");
        assertThatThrownBy(() -> ServiceClaim.CODEC.decode(UNIT, Map.of("template", "scream@.service", "timeout-ms", "-1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout-ms='-1'");
        assertThatThrownBy(() -> ServiceClaim.CODEC.decode(UNIT, Map.of("template", "-Hroot@.service", "timeout-ms", "90000")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("template='-Hroot@.service'");
    }

    @Test
    void statusShowsTheUnitItsTemplateAndTheStopTimeout() {
        assertThat(ServiceClaim.CODEC.describe(SCREAM)).containsExactly(Map.entry("unit", UNIT), Map.entry("template", "scream@.service"),
                Map.entry("stop timeout", "90s"));
    }
}
