package io.github.libvirthooks.features.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.engine.FeatureCatalog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hook's configuration without SmallRye answers exactly what SmallRye answers, and only where it can. */
class PlainConfigTest {
    @TempDir
    Path dir;

    private Path file(String... lines) throws IOException {
        Path file = dir.resolve("application.properties");
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void answersTheSameAsSmallRyeForNothingSetAndForPlainPaths() throws IOException {
        List<Path> files = List.of(dir.resolve("absent.properties"), file("# only a comment"),
                file("libvirt-hooks.host-root=/srv/sandbox/host", "libvirt-hooks.state-dir=/tmp/state-1.x_y+z"));
        Map<String, String> environment = Map.of("HOME", "/root", "PATH", "/usr/sbin:/usr/bin", "LC_ALL", "C");
        for (Path file : files) {
            assertThat(PlainConfig.of(file, read(file), Map.of(), environment)).as("plain for %s", file).isPresent();
            LoadedConfig plain = ConfigLoader.load(file, environment);
            LoadedConfig smallRye = ConfigLoader.load(file, environment, false);
            assertSame(plain, smallRye);
        }
    }

    @Test
    void leavesEverythingElseToSmallRye() throws IOException {
        Map<String, String> none = Map.of();
        assertThat(PlainConfig.of(dir, Map.of("libvirt-hooks.state-dir", "/tmp/a "), none, none)).as("trailing blank").isEmpty();
        assertThat(PlainConfig.of(dir, Map.of("libvirt-hooks.state-dir", "${HOME}/x"), none, none)).as("expression").isEmpty();
        assertThat(PlainConfig.of(dir, Map.of("libvirt-hooks.state-dir", "relative"), none, none)).as("not absolute").isEmpty();
        assertThat(PlainConfig.of(dir, Map.of("libvirt-hooks.lock-timeout", "5s"), none, none)).as("another key").isEmpty();
        assertThat(PlainConfig.of(dir, Map.of("libvirt-hooks.all-vms.nosleep.enabled", "true"), none, none)).isEmpty();
        assertThat(PlainConfig.of(dir, Map.of("quarkus.log.level", "DEBUG"), none, none)).as("another program's key").isEmpty();
        assertThat(PlainConfig.of(dir, Map.of("%dev.libvirt-hooks.state-dir", "/tmp/a"), none, none)).as("a profile").isEmpty();
        assertThat(PlainConfig.of(dir, none, Map.of("LIBVIRT_HOOKS_STATE_DIR", "/tmp/a"), none)).as("environment file").isEmpty();
        for (String variable : List.of("LIBVIRT_HOOKS_STATE_DIR", "libvirt_hooks_state_dir", "libvirt-hooks.state-dir",
                "SMALLRYE_CONFIG_PROFILE", "smallrye.config.profile", "QUARKUS_PROFILE", "MP_CONFIG_PROFILE", "CONFIG_ORDINAL")) {
            assertThat(PlainConfig.of(dir, none, none, Map.of(variable, "/tmp/a"))).as(variable).isEmpty();
        }
    }

    private static void assertSame(LoadedConfig plain, LoadedConfig smallRye) {
        HooksConfig a = plain.hooks();
        HooksConfig b = smallRye.hooks();
        assertThat(a.hostRoot()).isEqualTo(b.hostRoot());
        assertThat(a.stateDir()).isEqualTo(b.stateDir());
        assertThat(a.lockTimeout()).isEqualTo(b.lockTimeout());
        assertThat(a.hugepages().defaultSize()).isEqualTo(b.hugepages().defaultSize());
        assertThat(a.hugepages().timeout()).isEqualTo(b.hugepages().timeout());
        assertThat(HooksConfig.FeatureSettings.byName(a.allVms())).isEqualTo(HooksConfig.FeatureSettings.byName(b.allVms()));
        assertThat(a.vm()).isEqualTo(b.vm());
        assertThat(plain.hostWide()).isEqualTo(smallRye.hostWide());
        for (String key : ConfigKey.HOST_WIDE) {
            assertThat(plain.originOf(ConfigKey.hostWide(key))).isEqualTo(smallRye.originOf(ConfigKey.hostWide(key)));
        }
        assertThat(plain.originOf("libvirt-hooks.vm.x.hugepages.size")).isEqualTo(smallRye.originOf("libvirt-hooks.vm.x.hugepages.size"));
        Map<String, Map<String, String>> xml = Map.of("hugepages", Map.of(), "nosleep", Map.of("enabled", "false"));
        for (String vm : List.of("win10", "büro", "a.b")) {
            EffectiveVmConfig p = plain.forVm(vm, xml, FeatureCatalog.builtInOnly());
            EffectiveVmConfig s = smallRye.forVm(vm, xml, FeatureCatalog.builtInOnly());
            assertThat(p).isEqualTo(s);
            assertThat(plain.forVm(vm, Map.of())).isEqualTo(smallRye.forVm(vm, Map.of()));
        }
    }

    private static Map<String, String> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Map.of();
        }
        java.util.Properties properties = new java.util.Properties();
        try (var reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        }
        Map<String, String> map = new java.util.TreeMap<>();
        properties.forEach((k, v) -> map.put((String) k, (String) v));
        return map;
    }
}
