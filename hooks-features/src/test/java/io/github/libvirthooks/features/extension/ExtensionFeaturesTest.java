package io.github.libvirthooks.features.extension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.Feature;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.hugepages.HugepagesFeature;
import io.github.libvirthooks.features.script.SafePath;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Java example (examples/hello-feature), compiled into its own jar and loaded as the hook loads it. */
class ExtensionFeaturesTest {
    static final Path EXAMPLE = Path.of("../examples/hello-feature/src/main");
    static final List<String> BUILT_IN = List.of("hugepages", "script");

    @TempDir
    Path tmp;
    Path features;
    SafePath safety;

    @BeforeEach
    void folder() throws IOException {
        features = Files.createDirectories(tmp.resolve("features"));
        safety = new SafePath((Integer) Files.getAttribute(tmp, "unix:uid"), tmp);
    }

    @Test
    void theExampleJarIsDiscoveredAndRunsInTheEngineWithItsClaimUndoneAtRelease() throws IOException {
        FeatureJar.build(EXAMPLE.resolve("java"), EXAMPLE.resolve("resources"), tmp, features.resolve("hello-feature.jar"));

        List<Feature> loaded = ExtensionFeatures.load(features, BUILT_IN, safety, Feature.class.getClassLoader());

        assertThat(loaded).extracting(Feature::name).containsExactly("hello");
        StateDirectory state = new StateDirectory(tmp.resolve("state"));
        List<Feature> all = new ArrayList<>(List.of(new HugepagesFeature()));
        all.addAll(loaded);
        HookEngine engine = new HookEngine(HostRoot.at(Files.createDirectories(tmp.resolve("host"))), CommandRunner.system(), state,
                all, Duration.ofSeconds(5), Clock.systemUTC());
        Domain vm = new DomainXmlParser().parse(("<domain><name>win10</name><metadata><hooks xmlns='urn:libvirt-hooks:1'>"
                + "<hello greeting='hi'/></hooks></metadata></domain>").getBytes(StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>();

        engine.run(HookInvocation.parse(List.of("qemu", "win10", "prepare", "begin", "-")), vm, vm.hooksConfig(), lines::add);
        assertThat(state.load("win10", "").entries()).singleElement().satisfies(e -> {
            assertThat(e.feature()).isEqualTo("hello");
            assertThat(e.values()).containsEntry("text", "hi");
            assertThat(loaded.get(0).describeClaim(e)).as("status, through the jar's codec").containsExactly(Map.entry("text", "hi"));
        });
        engine.run(HookInvocation.parse(List.of("qemu", "win10", "release", "end", "-")), vm, Map.of(), lines::add);

        assertThat(lines).containsExactly("claim  hello: hi, win10", "undo   hello: goodbye, win10 (greeted with 'hi')");
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void aJarOthersCanWriteIsRefusedBeforeAnyOfItsClassesLoads() throws IOException {
        Path jar = FeatureJar.build(EXAMPLE.resolve("java"), EXAMPLE.resolve("resources"), tmp, features.resolve("hello-feature.jar"));
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-rw-rw-"));

        assertThatThrownBy(() -> ExtensionFeatures.load(features, BUILT_IN, safety, Feature.class.getClassLoader()))
                .hasMessageStartingWith("feature jar: " + jar.toAbsolutePath() + " is writable by group or others (rw-rw-rw-)");
    }

    @Test
    void aFeatureNamedLikeABuiltInOneIsRefused() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("clash/java/clash"));
        Files.writeString(src.resolve("Clash.java"), "package clash;\n"
                + "public final class Clash implements io.github.libvirthooks.features.engine.Feature {\n"
                + "  public String name() { return \"hugepages\"; }\n"
                + "  public java.util.Set<io.github.libvirthooks.features.engine.HookOperation> actsOn() { return java.util.Set.of(); }\n"
                + "  public java.util.List<String> plan(io.github.libvirthooks.features.engine.FeatureContext c) { return java.util.List.of(); }\n"
                + "  public void apply(io.github.libvirthooks.features.engine.FeatureContext c) { }\n"
                + "}\n");
        Path services = Files.createDirectories(tmp.resolve("clash/resources/META-INF/services"));
        Files.writeString(services.resolve("io.github.libvirthooks.features.engine.Feature"), "clash.Clash\n");
        FeatureJar.build(tmp.resolve("clash/java"), tmp.resolve("clash/resources"), tmp, features.resolve("clash.jar"));

        assertThatThrownBy(() -> ExtensionFeatures.load(features, BUILT_IN, safety, Feature.class.getClassLoader()))
                .hasMessageContaining("a feature named 'hugepages' exists already; rename clash.Clash or remove the jar");
    }

    @Test
    void noFolderMeansNoExtensions() {
        assertThat(ExtensionFeatures.load(tmp.resolve("missing"), BUILT_IN, safety, Feature.class.getClassLoader())).isEmpty();
    }
}
