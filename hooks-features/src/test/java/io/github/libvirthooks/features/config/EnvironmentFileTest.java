package io.github.libvirthooks.features.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /etc/libvirt-hooks/environment}: what reaches the hook as variables, read as data. */
class EnvironmentFileTest {
    @TempDir
    Path dir;

    private Path properties(String... lines) throws IOException {
        Path file = dir.resolve("application.properties");
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return file;
    }

    private void environment(String... lines) throws IOException {
        Files.writeString(dir.resolve("environment"), String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }

    @Test
    void itSitsBetweenThePropertiesFileAndTheProcessEnvironment() throws IOException {
        Path file = properties("libvirt-hooks.lock-timeout=5s", "libvirt-hooks.hugepages.timeout=20s");
        environment("# host-wide", "LIBVIRT_HOOKS_LOCK_TIMEOUT=7s", "", "LIBVIRT_HOOKS_HUGEPAGES_TIMEOUT='40s'",
                "LIBVIRT_HOOKS_STATE_DIR=\"/tmp/from-file\"", "LIBVIRT_HOOKS_ALL_VMS_NOSLEEP_ENABLED=true");

        LoadedConfig loaded = ConfigLoader.load(file, Map.of("LIBVIRT_HOOKS_HUGEPAGES_TIMEOUT", "1m"));

        assertThat(loaded.hooks().lockTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(loaded.originOf("libvirt-hooks.lock-timeout")).isEqualTo(ConfigOrigin.ENV_FILE);
        assertThat(loaded.hooks().hugepages().timeout()).as("the process environment wins").isEqualTo(Duration.ofMinutes(1));
        assertThat(loaded.hooks().stateDir()).as("one pair of quotes is taken off").isEqualTo(Path.of("/tmp/from-file"));
        assertThat(loaded.forVm("anyvm", Map.of()).features()).containsOnlyKeys("nosleep");
        assertThat(loaded.forVm("anyvm", Map.of()).sources()).containsEntry("nosleep", ConfigOrigin.ENV_FILE);
        assertThat(ConfigOrigin.ENV_FILE).hasToString("environment-file");
    }

    @Test
    void aBadValueIsNamedWithTheVariableAndTheFile() throws IOException {
        Path file = properties();
        environment("LIBVIRT_HOOKS_LOCK_TIMEOUT=soon");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("libvirt-hooks.lock-timeout=soon")
                .hasMessageContaining("as LIBVIRT_HOOKS_LOCK_TIMEOUT in " + dir.resolve("environment"));
    }

    @Test
    void itIsDataNeverAShellScript() throws IOException {
        Path marker = dir.resolve("ran");
        environment("LIBVIRT_HOOKS_STATE_DIR=/tmp/$(touch " + marker + ")`touch " + marker + "`");
        LoadedConfig loaded = ConfigLoader.load(properties(), Map.of());
        assertThat(loaded.hooks().stateDir().toString()).isEqualTo("/tmp/$(touch " + marker + ")`touch " + marker + "`");
        assertThat(marker).doesNotExist();
    }

    @Test
    void whatIsNotOneOfOurSettingsIsRefusedWithItsLine() throws IOException {
        Path file = properties();
        environment("LIBVIRT_HOOKS_LOCK_TIMEOUT=5s", "export LIBVIRT_HOOKS_STATE_DIR=/x");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(dir.resolve("environment") + ":2: ").hasMessageContaining("not KEY=VALUE");

        environment("PATH=/tmp/evil:/usr/bin");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())).hasMessageContaining(":1: PATH is not a libvirt-hooks setting");

        environment("LIBVIRT_HOOKS_LOCK_TIMOUT=5s");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())).hasMessageContaining("LIBVIRT_HOOKS_LOCK_TIMOUT is not");

        environment("LIBVIRT_HOOKS_LOCK_TIMEOUT=5s", "LIBVIRT_HOOKS_LOCK_TIMEOUT=6s");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())).hasMessageContaining(":2: LIBVIRT_HOOKS_LOCK_TIMEOUT is set twice");
    }

    @Test
    void aLinkOrAnythingButARegularUtf8FileIsRefused() throws IOException {
        Path file = properties();
        Path elsewhere = dir.resolve("elsewhere");
        Files.writeString(elsewhere, "LIBVIRT_HOOKS_LOCK_TIMEOUT=5s\n");
        Files.createSymbolicLink(dir.resolve("environment"), elsewhere);
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())).hasMessageContaining("symbolic link");

        Files.delete(dir.resolve("environment"));
        Files.write(dir.resolve("environment"), new byte[] {'L', '=', (byte) 0xff, '\n'});
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())).hasMessageContaining("not UTF-8");

        Files.writeString(dir.resolve("environment"), "#".repeat(EnvironmentFile.MAX_BYTES + 1));
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())).hasMessageContaining("larger than");
    }

    @Test
    void releaseFindsTheJournalsWhereTheFileSaysEvenWhenTheRestIsBroken() throws IOException {
        Path file = properties("libvirt-hooks.lock-timeout=30");
        environment("LIBVIRT_HOOKS_STATE_DIR=/tmp/state-from-file", "LIBVIRT_HOOKS_HOST_ROOT=/tmp/root");
        ConfigLoader.JournalLocation location = ConfigLoader.journalLocation(file, Map.of("LIBVIRT_HOOKS_HOST_ROOT", "/tmp/env-root"));
        assertThat(location.stateDir()).isEqualTo(Path.of("/tmp/state-from-file"));
        assertThat(location.hostRoot()).isEqualTo(Path.of("/tmp/env-root"));
    }
}
