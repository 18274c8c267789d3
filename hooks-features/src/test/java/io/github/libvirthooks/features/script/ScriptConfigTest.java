package io.github.libvirthooks.features.script;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.config.ConfigLoader;
import io.github.libvirthooks.features.config.EffectiveVmConfig;
import io.github.libvirthooks.features.config.LoadedConfig;
import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlException;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.hook.HookLog;
import io.github.libvirthooks.features.hook.QemuHook;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The script feature's configuration: XML elements in document order, properties, folders, and the hook's stdin. */
class ScriptConfigTest {
    @TempDir
    Path tmp;
    ScriptHost host;
    Path config;

    @BeforeEach
    void sandbox() throws IOException {
        host = new ScriptHost(tmp);
        config = host.etc.resolve("application.properties");
    }

    @Test
    void severalScriptElementsArePassedInDocumentOrderWithTheFoldersFilledIn() {
        Domain vm = parse(ScriptHost.xml("win10", "<script exec='/a' event='prepare'/><hugepages/><script exec='/b' undo='/c'/>"));

        assertThat(vm.hooksConfig().get("script")).containsOnly(Map.entry("1.exec", "/a"), Map.entry("1.event", "prepare"),
                Map.entry("2.exec", "/b"), Map.entry("2.undo", "/c"));
        EffectiveVmConfig effective = ConfigLoader.load(config, Map.of()).forVm("win10", vm.hooksConfig());
        assertThat(effective.features().get("script")).containsEntry(ScriptOptions.SCRIPTS_DIR, host.etc.toString())
                .containsEntry(ScriptOptions.STATE_DIR, "/run/libvirt-hooks").containsEntry("1.exec", "/a").containsEntry("2.exec", "/b");
        assertThat(ScriptOptions.parse(effective.features().get("script")).scripts()).extracting(s -> s.exec().toString())
                .containsExactly("/a", "/b");
    }

    @Test
    void otherFeaturesStillAppearOnlyOnce() {
        assertThatThrownBy(() -> parse(ScriptHost.xml("win10", "<hugepages/><hugepages/>"))).isInstanceOf(DomainXmlException.class)
                .hasMessage("feature <hugepages> appears twice in <hooks>");
    }

    @Test
    void aScriptFolderTurnsTheFeatureOnAndEnabledFalseTurnsItOff() throws IOException {
        Domain vm = parse(ScriptHost.xml("win10", ""));
        assertThat(ConfigLoader.load(config, Map.of()).forVm("win10", vm.hooksConfig()).enables("script")).isFalse();

        Files.createDirectories(host.etc.resolve("hooks.d/win10/prepare/begin"));
        EffectiveVmConfig on = ConfigLoader.load(config, Map.of()).forVm("win10", vm.hooksConfig());
        assertThat(on.enables("script")).isTrue();
        assertThat(on.notes()).anyMatch(n -> n.contains(host.etc.resolve("hooks.d/win10").toString()));
        assertThat(ConfigLoader.load(config, Map.of()).forVm("other", Map.of()).enables("script")).isFalse();

        Files.writeString(config, "libvirt-hooks.vm.\"win10\".script.enabled=false\n");
        assertThat(ConfigLoader.load(config, Map.of()).forVm("win10", vm.hooksConfig()).enables("script")).isFalse();

        Files.createDirectories(host.etc.resolve("all-vms.d/started/begin"));
        assertThat(ConfigLoader.load(config, Map.of()).forVm("other", Map.of()).enables("script")).isTrue();
    }

    @Test
    void onePropertiesScriptPerVmAndAServiceFromTheProperties() throws IOException {
        Files.writeString(config, """
                libvirt-hooks.vm."win10".script.enabled=true
                libvirt-hooks.vm."win10".script.exec=/etc/libvirt-hooks/scripts/bind-gpu
                libvirt-hooks.vm."win10".script.undo=/etc/libvirt-hooks/scripts/unbind-gpu
                libvirt-hooks.all-vms.script.timeout=1m
                libvirt-hooks.vm."win10".service.enabled=true
                libvirt-hooks.vm."win10".service.unit=scream
                """);
        LoadedConfig loaded = ConfigLoader.load(config, Map.of());

        EffectiveVmConfig win10 = loaded.forVm("win10", Map.of());

        ScriptOptions options = ScriptOptions.parse(win10.features().get("script"));
        assertThat(options.scripts()).singleElement().satisfies(s -> {
            assertThat(s.exec()).isEqualTo(Path.of("/etc/libvirt-hooks/scripts/bind-gpu"));
            assertThat(s.undo()).contains(Path.of("/etc/libvirt-hooks/scripts/unbind-gpu"));
            assertThat(ScriptFeature.format(s.timeout())).isEqualTo("1m");
        });
        assertThat(win10.features().get("service")).containsEntry("unit", "scream");
    }

    @Test
    void theHookHandsLibvirtsXmlToTheScriptsAndRunsStoppedScripts() throws IOException {
        Path got = host.out.resolve("stdin");
        Path prepare = host.script("prepare.sh", "cat > " + got);
        host.script(host.etc.resolve("hooks.d/win10/stopped/end/10-stopped"), "echo stopped \"$*\" >> " + host.trace());
        String xml = ScriptHost.xml("win10", "<script exec='" + prepare + "'/>");
        LoadedConfig loaded = ConfigLoader.load(config, Map.of());
        QemuHook hook = new QemuHook(host.engine(), (name, domain) -> {
            Map<String, Map<String, String>> features = new java.util.LinkedHashMap<>(loaded.forVm(name, domain.hooksConfig()).features());
            Map<String, String> script = new java.util.LinkedHashMap<>(features.get("script"));
            script.put(ScriptOptions.STATE_DIR, host.state.path().toString());
            features.put("script", script);
            return features;
        }, new HookLog(host.state.path().resolve("hooks.log"), Clock.systemUTC()));

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int prepared = hook.run(List.of("qemu", "win10", "prepare", "begin", "-"), stdin(xml), new PrintStream(err, true));
        int stopped = hook.run(List.of("qemu", "win10", "stopped", "end", "-"), stdin(xml), new PrintStream(err, true));

        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(prepared).isZero();
        assertThat(stopped).isZero();
        assertThat(Files.readString(got)).isEqualTo(xml);
        assertThat(host.traced()).containsExactly("stopped win10 stopped end -");
        assertThat(Files.readString(host.state.path().resolve("hooks.log"))).contains("run    script: " + prepare + " exit 0");
    }

    private static ByteArrayInputStream stdin(String xml) {
        return new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8));
    }

    private static Domain parse(String xml) {
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }
}
