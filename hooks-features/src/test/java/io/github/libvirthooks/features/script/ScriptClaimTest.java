package io.github.libvirthooks.features.script;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.script.ScriptSpec.Failure;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScriptClaimTest {
    private static final String LABEL = "undo prepare begin #1: /etc/libvirt-hooks/unbind.sh";
    private static final ScriptClaim UNBIND = new ScriptClaim(LABEL, Path.of("/etc/libvirt-hooks/unbind.sh"),
            Path.of("/etc/libvirt-hooks/bind.sh"), "the VM's XML", Duration.ofSeconds(30), Failure.WARN, Path.of("/run/libvirt-hooks"),
            Path.of("/run/libvirt-hooks/scripts/vm-win10-abc.log"), Map.of("gpu", "0000:01:00.0"));

    /** The values ScriptFeature wrote for UNBIND before claims were typed. */
    private static Map<String, String> today() {
        Map<String, String> values = new HashMap<>();
        values.put("run", "/etc/libvirt-hooks/unbind.sh");
        values.put("script", "/etc/libvirt-hooks/bind.sh");
        values.put("origin", "the VM's XML");
        values.put("timeout-ms", "30000");
        values.put("failure", "warn");
        values.put("state-dir", "/run/libvirt-hooks");
        values.put("log", "/run/libvirt-hooks/scripts/vm-win10-abc.log");
        values.put("opt.gpu", "0000:01:00.0");
        return values;
    }

    @Test
    void aClaimSurvivesTheJournal() {
        ScriptClaim release = new ScriptClaim("release #1: /x/10-release", Path.of("/x/10-release"), Path.of("/x/10-release"), "folder",
                Duration.ofMillis(1500), Failure.ABORT, Path.of("/run/state"), Path.of("/run/state/scripts/vm.log"), Map.of());
        for (ScriptClaim claim : new ScriptClaim[] {UNBIND, release}) {
            assertThat(ScriptClaim.CODEC.decode(ScriptClaim.CODEC.resource(claim), ScriptClaim.CODEC.encode(claim))).isEqualTo(claim);
        }
    }

    @Test
    void decodesTheClaimTodaysJournalsHold() {
        assertThat(ScriptClaim.CODEC.decode(LABEL, today())).isEqualTo(UNBIND);
        assertThat(ScriptClaim.CODEC.encode(UNBIND)).isEqualTo(today());
    }

    @Test
    void aMissingOrMalformedValueIsRefusedByName() {
        for (String key : new String[] {"run", "script", "origin", "timeout-ms", "failure", "state-dir", "log"}) {
            Map<String, String> values = today();
            values.remove(key);
            assertThatThrownBy(() -> ScriptClaim.CODEC.decode(LABEL, values)).as(key).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + key + "'");
        }
        for (String[] bad : new String[][] {{"run", "unbind.sh"}, {"state-dir", ""}, {"timeout-ms", "30s"}, {"timeout-ms", "0"},
                {"failure", "ignore"}, {"log", "a\0b"}}) {
            Map<String, String> values = today();
            values.put(bad[0], bad[1]);
            assertThatThrownBy(() -> ScriptClaim.CODEC.decode(LABEL, values)).as(bad[0]).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(bad[0] + "='" + bad[1] + "'");
        }
    }

    @Test
    void statusShowsWhatRunsAndItsOptionsByTheirUsersNames() {
        assertThat(ScriptClaim.CODEC.describe(UNBIND)).containsEntry("runs", "/etc/libvirt-hooks/unbind.sh")
                .containsEntry("script", "/etc/libvirt-hooks/bind.sh").containsEntry("timeout", "30s").containsEntry("failure", "warn")
                .containsEntry("opt-gpu", "0000:01:00.0").doesNotContainKeys("run", "timeout-ms", "state-dir", "opt.gpu");
    }
}
