package io.github.libvirthooks.features.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The installed {@code application.properties} skeleton must never drift from the code. */
class SkeletonTest {
    private static final String RESOURCE = "/io/github/libvirthooks/features/config/application.properties.skeleton";
    private static final String DEFAULT_LINE = "#libvirt-hooks.";
    private static final String EXAMPLE_LINE = "#example: ";

    @TempDir
    Path dir;
    private String skeleton;

    @BeforeEach
    void readSkeleton() throws IOException {
        try (InputStream in = Objects.requireNonNull(SkeletonTest.class.getResourceAsStream(RESOURCE), RESOURCE)) {
            skeleton = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private Path write(String text) throws IOException {
        return Files.writeString(dir.resolve("application.properties"), text, StandardCharsets.UTF_8);
    }

    private List<LoadedConfig.Setting> builtIn() {
        return ConfigLoader.load(dir.resolve("none"), Map.of()).hostWide();
    }

    @Test
    void asInstalledItChangesNothing() throws IOException {
        LoadedConfig loaded = ConfigLoader.load(write(skeleton), Map.of());

        assertThat(loaded.hostWide()).isEqualTo(builtIn());
        assertThat(loaded.hooks().vm()).isEmpty();
        assertThat(loaded.forVm("win10", Map.of()).features()).isEmpty();
    }

    @Test
    void itShowsEveryHostWideKeyWithItsBuiltInDefault() throws IOException {
        String uncommented = skeleton.lines().map(l -> l.startsWith(DEFAULT_LINE) ? l.substring(1) : l)
                .reduce("", (a, b) -> a + b + "\n");

        LoadedConfig loaded = ConfigLoader.load(write(uncommented), Map.of());

        assertThat(loaded.hostWide()).extracting(LoadedConfig.Setting::origin).containsOnly(ConfigOrigin.PROPERTIES);
        assertThat(loaded.hostWide()).extracting(LoadedConfig.Setting::key, LoadedConfig.Setting::value)
                .isEqualTo(builtIn().stream().map(s -> org.assertj.core.groups.Tuple.tuple(s.key(), s.value())).toList());
    }

    @Test
    void itsExamplesAreValidKeysThatDoWhatTheCommentsSay() throws IOException {
        String examples = skeleton.lines().map(l -> l.startsWith(EXAMPLE_LINE) ? l.substring(EXAMPLE_LINE.length()) : l)
                .reduce("", (a, b) -> a + b + "\n");

        LoadedConfig loaded = ConfigLoader.load(write(examples), Map.of());

        assertThat(loaded.forVm("other", Map.of()).features()).containsOnlyKeys("nosleep");
        EffectiveVmConfig win10 = loaded.forVm("win10", Map.of());
        assertThat(win10.features()).containsOnlyKeys("hugepages", "dohibernate");
        assertThat(win10.features().get("hugepages")).containsEntry("size", "1G");
        assertThat(loaded.forVm("xp.legacy box", Map.of()).features()).isEmpty();
    }

    @Test
    void everyFeatureIsNamedInTheSkeleton() {
        assertThat(skeleton).contains(String.join(", ", io.github.libvirthooks.features.engine.FeatureCatalog.builtInNames().subList(0, 5)));
        io.github.libvirthooks.features.engine.FeatureCatalog.builtInNames().forEach(feature -> assertThat(skeleton).contains(feature));
    }
}
