package io.github.libvirthooks.features.nosleep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class NosleepClaimTest {
    private static final String UNIT = "libvirt-hooks-nosleep-win10.service";

    @Test
    void aClaimSurvivesTheJournal() {
        NosleepClaim claim = new NosleepClaim(UNIT, "sleep:idle");
        assertThat(NosleepClaim.CODEC.decode(NosleepClaim.CODEC.resource(claim), NosleepClaim.CODEC.encode(claim))).isEqualTo(claim);
    }

    @Test
    void decodesTheClaimTodaysJournalsHold() {
        assertThat(NosleepClaim.CODEC.decode(UNIT, Map.of("what", "sleep"))).isEqualTo(new NosleepClaim(UNIT, "sleep"));
        assertThat(NosleepClaim.CODEC.encode(new NosleepClaim(UNIT, "sleep"))).isEqualTo(Map.of("what", "sleep"));
    }

    @Test
    void aClaimWithoutItsLocksIsRefusedByName() {
        assertThatThrownBy(() -> NosleepClaim.CODEC.decode(UNIT, Map.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'what'");
    }

    @Test
    void statusShowsTheUnitAndWhatItInhibits() {
        assertThat(NosleepClaim.CODEC.describe(new NosleepClaim(UNIT, "sleep:idle")))
                .containsExactly(Map.entry("unit", UNIT), Map.entry("inhibits", "sleep:idle"));
    }
}
