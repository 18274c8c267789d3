package io.github.libvirthooks.features.virtualnas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class VirtualNasClaimTest {
    private static final String RUN_DIR = VirtualNasFeature.RUN_DIR + "/winxp-abc";
    private static final VirtualNasClaim SERVING = new VirtualNasClaim("nas", Ipv4.parse("192.168.150.1"), "GAMES", "/srv/games", false,
            true, SmbServer.Supervisor.SYSTEMD, RUN_DIR, Optional.of("libvirt-hooks-nas-winxp-abc.service"), OptionalLong.of(4242));

    /** The values VirtualNasFeature wrote for SERVING before claims were typed. */
    private static Map<String, String> today() {
        Map<String, String> values = new HashMap<>();
        values.put("network", "nas");
        values.put("address", "192.168.150.1");
        values.put("share", "GAMES");
        values.put("path", "/srv/games");
        values.put("mode", "rw");
        values.put("smb1", "true");
        values.put("supervisor", "systemd");
        values.put("run-dir", RUN_DIR);
        values.put("unit", "libvirt-hooks-nas-winxp-abc.service");
        values.put("pid", "4242");
        return values;
    }

    @Test
    void aClaimSurvivesTheJournalBeforeAndAfterTheServerStarts() {
        VirtualNasClaim starting = new VirtualNasClaim("default", Ipv4.parse("192.168.122.1"), "share", "/srv/games", true, false,
                SmbServer.Supervisor.PROCESS, RUN_DIR, Optional.empty(), OptionalLong.empty());
        for (VirtualNasClaim claim : new VirtualNasClaim[] {SERVING, starting, starting.started(77)}) {
            assertThat(VirtualNasClaim.CODEC.decode(VirtualNasClaim.CODEC.resource(claim), VirtualNasClaim.CODEC.encode(claim)))
                    .isEqualTo(claim);
        }
    }

    @Test
    void decodesTheClaimTodaysJournalsHold() {
        assertThat(VirtualNasClaim.CODEC.decode("smbd", today())).isEqualTo(SERVING);
        assertThat(VirtualNasClaim.CODEC.encode(SERVING)).isEqualTo(today());
    }

    @Test
    void aMissingOrMalformedValueIsRefusedByName() {
        for (String key : new String[] {"network", "address", "share", "path", "mode", "smb1", "supervisor", "run-dir"}) {
            Map<String, String> values = today();
            values.remove(key);
            assertThatThrownBy(() -> VirtualNasClaim.CODEC.decode("smbd", values)).as(key).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + key + "'");
        }
        for (String[] bad : new String[][] {{"address", "nas.local"}, {"mode", "readonly"}, {"smb1", "yes"}, {"supervisor", "init"},
                {"pid", "-1"}, {"pid", "smbd"}, {"run-dir", "/run/libvirt-hooks/nas/../../../etc"}, {"run-dir", "/etc"}}) {
            Map<String, String> values = today();
            values.put(bad[0], bad[1]);
            assertThatThrownBy(() -> VirtualNasClaim.CODEC.decode("smbd", values)).as(bad[0] + "=" + bad[1])
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad[0] + "='" + bad[1] + "'");
        }
    }

    @Test
    void statusShowsTheShareAsTheGuestReachesIt() {
        assertThat(VirtualNasClaim.CODEC.describe(SERVING)).containsExactly(Map.entry("share", "\\\\192.168.150.1\\GAMES"),
                Map.entry("path", "/srv/games"), Map.entry("network", "nas"), Map.entry("mode", "rw"), Map.entry("smb1", "true"),
                Map.entry("unit", "libvirt-hooks-nas-winxp-abc.service"), Map.entry("smbd pid", "4242"));
    }
}
