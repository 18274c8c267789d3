package io.github.libvirthooks.features.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private Path file(String... lines) throws IOException {
        Path file = dir.resolve("application.properties");
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return file;
    }

    private Path missing() {
        return dir.resolve("absent.properties");
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertOneLine(AbstractThrowableAssert<?, ? extends Throwable> thrown) {
        return thrown.isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("SRCFG"));
    }

    @Test
    void missingFileAndEmptyEnvironmentGiveTheBuiltInDefaults() {
        LoadedConfig loaded = ConfigLoader.load(missing(), Map.of());
        HooksConfig hooks = loaded.hooks();

        assertThat(hooks.hostRoot()).isEqualTo(Path.of("/"));
        assertThat(hooks.stateDir()).isEqualTo(Path.of("/run/libvirt-hooks"));
        assertThat(hooks.lockTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(hooks.hugepages().defaultSize()).as("the host's default hugepage size, as libvirt").isEqualTo("host");
        assertThat(hooks.hugepages().timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(hooks.vm()).isEmpty();
        assertThat(loaded.hostWide()).extracting(LoadedConfig.Setting::origin).containsOnly(ConfigOrigin.DEFAULT);
        assertThat(loaded.hostWide()).extracting(LoadedConfig.Setting::key).containsExactly("libvirt-hooks.host-root",
                "libvirt-hooks.state-dir", "libvirt-hooks.lock-timeout", "libvirt-hooks.hugepages.default-size",
                "libvirt-hooks.hugepages.timeout");
    }

    @Test
    void theFileOverridesDefaultsAndTheEnvironmentOverridesTheFile() throws IOException {
        Path file = file("libvirt-hooks.lock-timeout=5s", "libvirt-hooks.state-dir=/tmp/from-file",
                "libvirt-hooks.hugepages.default-size=1G");
        LoadedConfig loaded = ConfigLoader.load(file, Map.of("LIBVIRT_HOOKS_STATE_DIR", "/tmp/from-env", "PATH", "/usr/bin"));

        assertThat(loaded.hooks().lockTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(loaded.hooks().stateDir()).isEqualTo(Path.of("/tmp/from-env"));
        assertThat(loaded.hooks().hugepages().defaultSize()).isEqualTo("1G");
        assertThat(loaded.originOf("libvirt-hooks.lock-timeout")).isEqualTo(ConfigOrigin.PROPERTIES);
        assertThat(loaded.originOf("libvirt-hooks.state-dir")).isEqualTo(ConfigOrigin.ENV);
        assertThat(loaded.originOf("libvirt-hooks.hugepages.timeout")).isEqualTo(ConfigOrigin.DEFAULT);
    }

    @Test
    void durationsTakeUnitsOrIso8601() throws IOException {
        LoadedConfig loaded = ConfigLoader.load(file("libvirt-hooks.lock-timeout=PT1M", "libvirt-hooks.hugepages.timeout=1500ms"),
                Map.of());

        assertThat(loaded.hooks().lockTimeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(loaded.hooks().hugepages().timeout()).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void keysOfOtherProgramsAreLeftAlone() throws IOException {
        LoadedConfig loaded = ConfigLoader.load(file("quarkus.log.level=DEBUG", "libvirt-hooksx=1"), Map.of("QUARKUS_LOG_LEVEL", "INFO"));

        assertThat(loaded.hooks().lockTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void anUnknownKeyIsOneLineNamingTheKeyTheValueAndTheFile() throws IOException {
        Path file = file("libvirt-hooks.lock-timout=5s");

        assertOneLine(assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())))
                .hasMessageStartingWith("unknown key libvirt-hooks.lock-timout=5s in " + file + ": known keys: ")
                .hasMessageContaining("libvirt-hooks.lock-timeout");
    }

    @Test
    void anUnknownFeatureListsTheKnownOnes() throws IOException {
        Path file = file("libvirt-hooks.vm.win10.hugepage.size=1G");

        assertOneLine(assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())))
                .hasMessageContaining("libvirt-hooks.vm.win10.hugepage.size=1G")
                .hasMessageContaining("unknown feature 'hugepage'; known features: hugepages, isolcpu, cfscpu, cpufreq, usb-return, gpu-handoff, looking-glass, nosleep, dosleep,"
                        + " dohibernate, beforeoff-dohibernate, ddcutil, virtual-nas");
    }

    @Test
    void aDottedVmNameWithoutQuotesGetsTheQuotedSpelling() throws IOException {
        Path file = file("libvirt-hooks.vm.xp.legacy.hugepages.size=1G");

        assertOneLine(assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())))
                .hasMessageContaining("quote VM names that contain dots, e.g. libvirt-hooks.vm.\"xp.legacy\".hugepages.size");
    }

    @Test
    void aFeatureNeedsAnOptionNotAValue() throws IOException {
        Path file = file("libvirt-hooks.all-vms.nosleep=true");

        assertOneLine(assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())))
                .hasMessageContaining("libvirt-hooks.all-vms.nosleep=true")
                .hasMessageContaining("write libvirt-hooks.all-vms.nosleep.enabled=true");
    }

    @Test
    void aBadDurationNamesTheKeyTheValueAndWhatIsAllowed() throws IOException {
        Path file = file("libvirt-hooks.lock-timeout=abc");

        assertOneLine(assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())))
                .hasMessage("invalid value libvirt-hooks.lock-timeout=abc (in " + file
                        + "): expected a duration with a unit, such as 30s, 500ms, 2m, 1h or PT30S");
    }

    @Test
    void aBadValueFromTheEnvironmentNamesTheVariable() {
        assertOneLine(assertThatThrownBy(() -> ConfigLoader.load(missing(), Map.of("LIBVIRT_HOOKS_HUGEPAGES_TIMEOUT", "10"))))
                .hasMessage("invalid value libvirt-hooks.hugepages.timeout=10 (from environment variable LIBVIRT_HOOKS_HUGEPAGES_TIMEOUT):"
                        + " expected a duration with a unit, such as 30s, 500ms, 2m, 1h or PT30S");
    }

    @Test
    void aBadHugepageSizeSaysWhatSizesLookLike() throws IOException {
        Path file = file("libvirt-hooks.hugepages.default-size=3M");

        assertOneLine(assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())))
                .hasMessage("invalid value libvirt-hooks.hugepages.default-size=3M (in " + file
                        + "): expected host (the host's default hugepage size) or a hugepage size such as 2M or 1G");
    }

    @Test
    void pathsMustBeAbsolute() throws IOException {
        Path file = file("libvirt-hooks.state-dir=run/libvirt-hooks");

        assertOneLine(assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())))
                .hasMessage("invalid value libvirt-hooks.state-dir=run/libvirt-hooks (in " + file
                        + "): expected an absolute path, such as /run/libvirt-hooks");
    }

    @Test
    void enabledIsTrueOrFalse() throws IOException {
        Path file = file("libvirt-hooks.vm.\"my.vm\".nosleep.enabled=yes");

        assertOneLine(assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())))
                .hasMessage("invalid value libvirt-hooks.vm.\"my.vm\".nosleep.enabled=yes (in " + file + "): expected true or false");
    }

    @Test
    void anUnknownLibvirtHooksEnvironmentVariableIsReported() {
        assertOneLine(assertThatThrownBy(() -> ConfigLoader.load(missing(), Map.of("LIBVIRT_HOOKS_LOCK_TIMOUT", "5s"))))
                .hasMessageStartingWith("unknown environment variable LIBVIRT_HOOKS_LOCK_TIMOUT=5s: not a libvirt-hooks key")
                .hasMessageContaining("LIBVIRT_HOOKS_LOCK_TIMEOUT");
    }

    @Test
    void aFileThatCannotBeReadIsAnError() throws IOException {
        Path notAFile = Files.createDirectory(dir.resolve("application.properties"));

        assertOneLine(assertThatThrownBy(() -> ConfigLoader.load(notAFile, Map.of())))
                .hasMessageStartingWith("cannot read " + notAFile + ": ");
    }

    @Test
    void aBrokenEscapeInTheFileIsAnError() throws IOException {
        Path file = file("libvirt-hooks.vm.a\\uZZZZ.nosleep.enabled=true");

        assertOneLine(assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())))
                .hasMessageStartingWith("cannot read " + file + ": ");
    }

    @Test
    void anEmptyValueIsAnErrorNotASilentDefault() throws IOException {
        Path file = file("libvirt-hooks.lock-timeout=");

        assertOneLine(assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())))
                .hasMessageStartingWith("invalid value libvirt-hooks.lock-timeout= (in " + file + "): expected a duration");
    }

    @Test
    void everyFeatureOfTheVocabularyHasItsMappingMethod() {
        HooksConfig.FeatureSettings none = ConfigLoader.load(missing(), Map.of()).hooks().allVms();

        assertThat(HooksConfig.FeatureSettings.byName(none).keySet()).containsExactlyElementsOf(io.github.libvirthooks.features.engine.FeatureCatalog.builtInNames());
    }
}
