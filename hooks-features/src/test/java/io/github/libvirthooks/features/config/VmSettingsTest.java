package io.github.libvirthooks.features.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import io.github.libvirthooks.features.domain.DomainXmlParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmSettingsTest {
    @TempDir
    Path dir;

    private Path file(String... lines) throws IOException {
        Path file = dir.resolve("application.properties");
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return file;
    }

    private static Map<String, Map<String, String>> xml(String feature, Map<String, String> attributes) {
        return Map.of(feature, attributes);
    }

    @Test
    void hugepagesSizeFollowsDefaultsThenFileThenEnvironmentThenXml() throws IOException {
        Map<String, Map<String, String>> on = xml("hugepages", Map.of());
        EffectiveVmConfig builtIn = ConfigLoader.load(dir.resolve("none"), Map.of()).forVm("win10", on);
        assertThat(builtIn.features()).as("size=host: the host's default hugepage size, as libvirt uses")
                .containsExactly(entry("hugepages", Map.of("size", "host", "timeout", "10s")));
        assertThat(builtIn.sources()).containsExactly(entry("hugepages", ConfigOrigin.XML),
                entry("hugepages.size", ConfigOrigin.DEFAULT), entry("hugepages.timeout", ConfigOrigin.DEFAULT));

        Path file = file("libvirt-hooks.hugepages.default-size=1G", "libvirt-hooks.hugepages.timeout=2m");
        EffectiveVmConfig fromFile = ConfigLoader.load(file, Map.of()).forVm("win10", on);
        assertThat(fromFile.features().get("hugepages")).containsEntry("size", "1G").containsEntry("timeout", "120s");
        assertThat(fromFile.sources()).containsEntry("hugepages.size", ConfigOrigin.PROPERTIES);

        EffectiveVmConfig fromEnv = ConfigLoader.load(file, Map.of("LIBVIRT_HOOKS_VM_WIN10_HUGEPAGES_SIZE", "16M")).forVm("win10", on);
        assertThat(fromEnv.features().get("hugepages")).containsEntry("size", "16M");
        assertThat(fromEnv.sources()).containsEntry("hugepages.size", ConfigOrigin.ENV);

        EffectiveVmConfig fromXml = ConfigLoader.load(file, Map.of("LIBVIRT_HOOKS_VM_WIN10_HUGEPAGES_SIZE", "16M"))
                .forVm("win10", xml("hugepages", Map.of("size", "32M")));
        assertThat(fromXml.features().get("hugepages")).containsEntry("size", "32M").containsEntry("timeout", "120s");
        assertThat(fromXml.sources()).containsEntry("hugepages.size", ConfigOrigin.XML)
                .containsEntry("hugepages.timeout", ConfigOrigin.PROPERTIES);
    }

    @Test
    void aVmsOwnKeysWinOverAllVms() throws IOException {
        LoadedConfig loaded = ConfigLoader.load(file(
                "libvirt-hooks.all-vms.nosleep.enabled=true",
                "libvirt-hooks.all-vms.hugepages.size=1G",
                "libvirt-hooks.vm.quiet.nosleep.enabled=false",
                "libvirt-hooks.vm.big.hugepages.enabled=true",
                "libvirt-hooks.vm.big.hugepages.size=2M"), Map.of());

        assertThat(loaded.forVm("any", Map.of()).features()).containsOnlyKeys("nosleep");
        assertThat(loaded.forVm("quiet", Map.of()).features()).isEmpty();
        EffectiveVmConfig big = loaded.forVm("big", Map.of());
        assertThat(big.features()).containsOnlyKeys("hugepages", "nosleep");
        assertThat(big.features().get("hugepages")).containsEntry("size", "2M");
        assertThat(big.sources()).containsEntry("hugepages", ConfigOrigin.PROPERTIES).containsEntry("nosleep", ConfigOrigin.PROPERTIES);
    }

    @Test
    void anOptionAloneDoesNotTurnAFeatureOn() throws IOException {
        LoadedConfig loaded = ConfigLoader.load(file("libvirt-hooks.all-vms.hugepages.size=1G"), Map.of());

        assertThat(loaded.forVm("win10", Map.of()).features()).isEmpty();
        assertThat(loaded.forVm("win10", xml("hugepages", Map.of())).features().get("hugepages")).containsEntry("size", "1G");
    }

    @Test
    void xmlEnabledFalseTurnsOffWhatPropertiesTurnedOn() throws IOException {
        LoadedConfig loaded = ConfigLoader.load(file("libvirt-hooks.vm.win10.nosleep.enabled=true"), Map.of());

        EffectiveVmConfig off = loaded.forVm("win10", xml("nosleep", Map.of("enabled", "false")));

        assertThat(off.features()).isEmpty();
    }

    @Test
    void enabledIsNeverPassedToTheFeature() throws IOException {
        LoadedConfig loaded = ConfigLoader.load(file("libvirt-hooks.vm.win10.ddcutil.enabled=TRUE",
                "libvirt-hooks.vm.win10.ddcutil.input=0x0f"), Map.of());

        EffectiveVmConfig vm = loaded.forVm("win10", xml("ddcutil", Map.of("enabled", "true", "display", "1")));

        assertThat(vm.features()).containsExactly(entry("ddcutil", Map.of("input", "0x0f", "display", "1")));
        assertThat(vm.sources()).containsEntry("ddcutil", ConfigOrigin.XML).containsEntry("ddcutil.input", ConfigOrigin.PROPERTIES);
    }

    @Test
    void vmNamesWithDotsSpacesQuotesBackslashesAndAccentsWork() throws IOException {
        // as a user types them in the file: a space needs a backslash, a quote inside quotes \\\"
        LoadedConfig loaded = ConfigLoader.load(file(
                "libvirt-hooks.vm.\"xp.legacy\".nosleep.enabled=true",
                "libvirt-hooks.vm.my\\ vm.nosleep.enabled=true",
                "libvirt-hooks.vm.\"dotted.and\\ spaced\".nosleep.enabled=true",
                "libvirt-hooks.vm.\"it\\\\\\\"s\".nosleep.enabled=true",
                "libvirt-hooks.vm.\"back\\\\\\\\slash\".nosleep.enabled=true",
                "libvirt-hooks.vm.Ünïcødé.nosleep.enabled=true"), Map.of());

        for (String name : new String[] {"xp.legacy", "my vm", "dotted.and spaced", "it\"s", "back\\slash", "Ünïcødé"}) {
            EffectiveVmConfig vm = loaded.forVm(name, Map.of());
            assertThat(vm.features()).as(name).containsOnlyKeys("nosleep");
            assertThat(vm.sources()).as(name).containsEntry("nosleep", ConfigOrigin.PROPERTIES);
        }
        assertThat(loaded.forVm("xp", Map.of()).features()).isEmpty();
        assertThat(loaded.hooks().vm()).containsOnlyKeys("xp.legacy", "my vm", "dotted.and spaced", "it\"s", "back\\slash", "Ünïcødé");
    }

    @Test
    void environmentVariablesReachVmsAndHyphenatedFeatures() throws IOException {
        LoadedConfig loaded = ConfigLoader.load(file("libvirt-hooks.vm.Win10.hugepages.size=1G"), Map.of(
                "LIBVIRT_HOOKS_VM_WIN10_HUGEPAGES_SIZE", "2M",
                "LIBVIRT_HOOKS_VM__XP_LEGACY__NOSLEEP_ENABLED", "true",
                "LIBVIRT_HOOKS_ALL_VMS_BEFOREOFF_DOHIBERNATE_ENABLED", "true"));

        // SmallRye keeps the file's spelling of a name the environment overrides
        assertThat(loaded.forVm("Win10", xml("hugepages", Map.of())).features().get("hugepages")).containsEntry("size", "2M");
        EffectiveVmConfig xp = loaded.forVm("xp.legacy", Map.of());
        assertThat(xp.features()).containsOnlyKeys("nosleep", "beforeoff-dohibernate");
        assertThat(xp.sources()).containsEntry("nosleep", ConfigOrigin.ENV).containsEntry("beforeoff-dohibernate", ConfigOrigin.ENV);
    }

    @Test
    void featuresComeOutInRunOrder() throws IOException {
        LoadedConfig loaded = ConfigLoader.load(file("libvirt-hooks.all-vms.virtual-nas.enabled=true"), Map.of());

        EffectiveVmConfig vm = loaded.forVm("nas", Map.of("cfscpu", Map.of(), "hugepages", Map.of()));

        assertThat(vm.features().keySet()).containsExactly("hugepages", "cfscpu", "virtual-nas");
    }

    @Test
    void anUnknownFeatureInTheXmlListsTheKnownOnes() {
        LoadedConfig loaded = ConfigLoader.load(dir.resolve("none"), Map.of());

        assertThatThrownBy(() -> loaded.forVm("win10", xml("hugepage", Map.of())))
                .isInstanceOf(ConfigException.class)
                .hasMessage("unknown feature <hugepage> in the <hooks xmlns=\"urn:libvirt-hooks:1\"> metadata of VM 'win10'; known features:"
                        + " hugepages, isolcpu, cfscpu, cpufreq, usb-return, gpu-handoff, looking-glass, nosleep, dosleep, dohibernate, beforeoff-dohibernate, ddcutil, virtual-nas, service, script");
    }

    @Test
    void aBadEnabledInTheXmlIsReported() {
        LoadedConfig loaded = ConfigLoader.load(dir.resolve("none"), Map.of());

        assertThatThrownBy(() -> loaded.forVm("win10", xml("nosleep", Map.of("enabled", "yes"))))
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid <nosleep enabled=\"yes\"> in the VM's <hooks> metadata: expected true or false");
    }

    @Test
    void dosleepReplacesNosleepInheritedFromAllVms() throws IOException {
        LoadedConfig loaded = ConfigLoader.load(file("libvirt-hooks.all-vms.nosleep.enabled=true"), Map.of());

        EffectiveVmConfig vm = loaded.forVm("win10", xml("dosleep", Map.of()));

        assertThat(vm.features()).containsOnlyKeys("dosleep");
        assertThat(vm.sources()).doesNotContainKey("nosleep");
        assertThat(vm.notes()).containsExactly("nosleep (all-vms) is replaced by dosleep for this VM");
    }

    @Test
    void nosleepAndDohibernateForTheSameVmExcludeEachOther() throws IOException {
        LoadedConfig loaded = ConfigLoader.load(file("libvirt-hooks.vm.win10.nosleep.enabled=true"), Map.of());

        assertThatThrownBy(() -> loaded.forVm("win10", xml("dohibernate", Map.of())))
                .isInstanceOf(ConfigException.class)
                .hasMessage("VM 'win10' enables both nosleep and dohibernate (properties, xml); dohibernate replaces nosleep: turn one of them off");
    }

    @Test
    void mergesWhatTheDomainXmlParserReads() throws IOException {
        String xml = """
                <domain type='kvm'><name>win.10</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
                  <metadata><h:hooks xmlns:h="urn:libvirt-hooks:1"><h:hugepages size="1G"/><h:nosleep/></h:hooks></metadata>
                </domain>""";
        var domain = new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
        LoadedConfig loaded = ConfigLoader.load(file("libvirt-hooks.vm.\"win.10\".hugepages.timeout=20s"), Map.of());

        EffectiveVmConfig vm = loaded.forVm(domain.name(), domain.hooksConfig());

        assertThat(vm.features()).containsExactly(entry("hugepages", Map.of("size", "1G", "timeout", "20s")), entry("nosleep", Map.of()));
        assertThat(vm.sources()).containsEntry("hugepages.timeout", ConfigOrigin.PROPERTIES).containsEntry("hugepages.size", ConfigOrigin.XML);
    }

    @Test
    void aVmEitherSleepsOrHibernatesAtHostSleep() {
        Map<String, Map<String, String>> both = Map.of("dosleep", Map.of(), "dohibernate", Map.of());
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("none"), Map.of()).forVm("win10", both))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("enables both dosleep (xml) and dohibernate (xml)");
    }
}
