package io.github.libvirthooks.features.ddcutil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.ddcutil.DdcutilClaim.Switched;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DdcutilClaimTest {
    private static final DdcutilClaim SWITCHED = new DdcutilClaim(Map.of("bus", "4", "timeout", "5s"), new InputSource(0x11),
            Optional.of(new InputSource(0x0f)), Switched.YES, Optional.empty());

    /** The values DdcutilFeature wrote for SWITCHED before claims were typed. */
    private static Map<String, String> today() {
        return new HashMap<>(Map.of("bus", "4", "timeout", "5s", "vm-input", "0x11", "host-input", "0x0f", "switched", "yes"));
    }

    @Test
    void everyClaimSurvivesTheJournal() {
        for (DdcutilClaim claim : new DdcutilClaim[] {SWITCHED, SWITCHED.with(Switched.PENDING),
                SWITCHED.notSwitched("ddcutil is not installed"),
                new DdcutilClaim(Map.of(), new InputSource(0x11), Optional.empty(), Switched.NO, Optional.empty())}) {
            assertThat(DdcutilClaim.CODEC.decode(DdcutilClaim.CODEC.resource(claim), DdcutilClaim.CODEC.encode(claim))).isEqualTo(claim);
        }
    }

    @Test
    void decodesTheClaimsTodaysJournalsHold() {
        assertThat(DdcutilClaim.CODEC.decode("input", today())).isEqualTo(SWITCHED);
        assertThat(DdcutilClaim.CODEC.encode(SWITCHED)).isEqualTo(today());
        assertThat(DdcutilClaim.CODEC.decode("input", Map.of("vm-input", "0x11", "switched", "no", "warning", "no monitor")))
                .isEqualTo(new DdcutilClaim(Map.of(), new InputSource(0x11), Optional.empty(), Switched.NO, Optional.of("no monitor")));
    }

    @Test
    void aMissingOrMalformedValueIsRefusedByName() {
        for (String key : new String[] {"vm-input", "switched"}) {
            Map<String, String> values = today();
            values.remove(key);
            assertThatThrownBy(() -> DdcutilClaim.CODEC.decode("input", values)).as(key).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + key + "'");
        }
        for (String[] bad : new String[][] {{"host-input", "dp1"}, {"vm-input", "0x111"}, {"switched", "maybe"}}) {
            Map<String, String> values = today();
            values.put(bad[0], bad[1]);
            assertThatThrownBy(() -> DdcutilClaim.CODEC.decode("input", values)).as(bad[0]).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(bad[0] + "='" + bad[1] + "'");
        }
        Map<String, String> badBus = today();
        badBus.put("bus", "--force");
        assertThatThrownBy(() -> DdcutilClaim.CODEC.decode("input", badBus)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bus '--force'");
        assertThatThrownBy(() -> DdcutilClaim.CODEC.decode("monitor", today())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'monitor'");
    }

    @Test
    void statusShowsTheMonitorAndBothInputsByName() {
        assertThat(DdcutilClaim.CODEC.describe(SWITCHED)).containsExactly(Map.entry("bus", "4"), Map.entry("timeout", "5s"),
                Map.entry("vm input", "0x11 (hdmi1)"), Map.entry("host input", "0x0f (dp1)"), Map.entry("switched", "yes"));
    }
}
