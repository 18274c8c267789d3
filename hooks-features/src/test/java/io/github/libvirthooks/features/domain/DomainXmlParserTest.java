package io.github.libvirthooks.features.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DomainXmlParserTest {
    private final DomainXmlParser parser = new DomainXmlParser();

    @Test
    void readsEverythingTheFeaturesNeed() throws IOException {
        Domain d;
        try (InputStream in = getClass().getResourceAsStream("/win10.xml")) {
            d = parser.parse(in);
        }
        assertThat(d.name()).isEqualTo("win10");
        assertThat(d.uuid()).isEqualTo("6f1c3e52-8a4e-4b8e-9d0e-4c1f3a2b7e10");
        assertThat(d.memoryBytes()).isEqualTo(8L << 30);
        assertThat(d.hugepages()).contains(new Domain.HugePageBacking(
                java.util.List.of(new Domain.Page(2L << 20, Optional.of("0")))));
        assertThat(d.vcpus()).isEqualTo(4);
        assertThat(d.vcpuPins()).isEqualTo(Map.of(0, "2", 1, "6", 2, "3", 3, "7"));
        assertThat(d.emulatorPin()).contains("1,5");
        assertThat(d.iothreadPins()).isEqualTo(Map.of(1, "1"));
        assertThat(d.numaMemoryNodes()).contains("0");
        assertThat(d.hasHostDevices()).isTrue();
        assertThat(d.networks()).containsExactly("nas-net");
        assertThat(d.hasGuestAgent()).isTrue();
        assertThat(d.hooksConfig()).containsOnlyKeys("hugepages", "isolcpu");
        assertThat(d.hooksConfig().get("isolcpu")).isEqualTo(Map.of("mode", "auto"));
    }

    @Test
    void aMinimalDomainHasNoHooksAndNoHugepages() {
        Domain d = parse("<domain type='kvm'><name>tiny</name><memory unit='MiB'>64</memory></domain>");
        assertThat(d.memoryBytes()).isEqualTo(64L << 20);
        assertThat(d.hugepages()).isEmpty();
        assertThat(d.hooksConfig()).isEmpty();
        assertThat(d.vcpus()).isEqualTo(1);
    }

    @Test
    void memoryDefaultsToKibibytes() {
        assertThat(parse("<domain><name>a</name><memory>1024</memory></domain>").memoryBytes()).isEqualTo(1 << 20);
    }

    @Test
    void hugepagesWithoutPageElementsMeanTheDefaultSize() {
        Domain d = parse("<domain><name>a</name><memoryBacking><hugepages/></memoryBacking></domain>");
        assertThat(d.hugepages()).contains(new Domain.HugePageBacking(java.util.List.of()));
    }

    @Test
    void refusesDoctypesAndEntities() {
        String billionLaughs = "<?xml version='1.0'?><!DOCTYPE d [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;&a;'>]>"
                + "<domain><name>&b;</name></domain>";
        assertThatThrownBy(() -> parse(billionLaughs)).isInstanceOf(DomainXmlException.class).hasMessageContaining("DOCTYPE");
        String external = "<?xml version='1.0'?><!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/shadow'>]><domain><name>&x;</name></domain>";
        assertThatThrownBy(() -> parse(external)).isInstanceOf(DomainXmlException.class);
    }

    @Test
    void malformedXmlIsOneLineWithThePosition() {
        assertThatThrownBy(() -> parse("<domain><name>a</name>\n<memory>"))
                .isInstanceOf(DomainXmlException.class)
                .hasMessageStartingWith("malformed domain XML at line 2")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void rejectsWhatIsNotADomain() {
        assertThatThrownBy(() -> parse("<network><name>a</name></network>")).hasMessageContaining("root element is <network>");
        assertThatThrownBy(() -> parse("<domain/>")).hasMessageContaining("no <name>");
        assertThatThrownBy(() -> parser.parse(new byte[0])).hasMessageContaining("standard input");
    }

    @Test
    void rejectsAbsurdValuesNamingThem() {
        assertThatThrownBy(() -> parse("<domain><name>a</name><memory unit='EiB'>1</memory></domain>"))
                .hasMessage("unknown unit 'EiB' for memory");
        assertThatThrownBy(() -> parse("<domain><name>a</name><memory unit='TiB'>99999999999</memory></domain>"))
                .hasMessageContaining("too large");
        assertThatThrownBy(() -> parse("<domain><name>a</name><vcpu>-3</vcpu></domain>")).hasMessageContaining("vcpu");
        assertThatThrownBy(() -> parse("<domain><name>a</name><cputune><vcpupin vcpu='0' cpuset='1'/>"
                + "<vcpupin vcpu='0' cpuset='2'/></cputune></domain>")).hasMessageContaining("duplicate <vcpupin vcpu='0'>");
    }

    @Test
    void rejectsDuplicatedOrForeignHooksElements() {
        String twice = "<domain><name>a</name><metadata><hooks xmlns='urn:libvirt-hooks:1'><nosleep/><nosleep/></hooks>"
                + "</metadata></domain>";
        assertThatThrownBy(() -> parse(twice)).hasMessageContaining("<nosleep> appears twice");
        String two = "<domain><name>a</name><metadata><hooks xmlns='urn:libvirt-hooks:1'/><hooks xmlns='urn:libvirt-hooks:1'/>"
                + "</metadata></domain>";
        assertThatThrownBy(() -> parse(two)).hasMessageContaining("more than one");
        String foreign = "<domain><name>a</name><metadata><hooks xmlns='urn:libvirt-hooks:1'><x:nosleep xmlns:x='urn:other'/>"
                + "</hooks></metadata></domain>";
        assertThatThrownBy(() -> parse(foreign)).hasMessageContaining("must be in namespace");
    }

    @Test
    void ignoresHooksElementsOfOtherNamespaceVersions() {
        Domain d = parse("<domain><name>a</name><metadata><hooks xmlns='urn:libvirt-hooks:0'><nosleep/></hooks></metadata></domain>");
        assertThat(d.hooksConfig()).isEmpty();
    }

    private Domain parse(String xml) {
        return parser.parse(xml.getBytes(StandardCharsets.UTF_8));
    }
}
