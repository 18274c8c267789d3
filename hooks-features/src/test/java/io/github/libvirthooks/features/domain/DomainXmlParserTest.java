package io.github.libvirthooks.features.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.cpu.CpuSet;
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
                java.util.List.of(new Domain.Page(2L << 20, Optional.of(CpuSet.of(0))))));
        assertThat(d.vcpus()).isEqualTo(4);
        assertThat(d.vcpuPins()).isEqualTo(Map.of(0, CpuSet.of(2), 1, CpuSet.of(6), 2, CpuSet.of(3), 3, CpuSet.of(7)));
        assertThat(d.emulatorPin()).contains(CpuSet.of(1, 5));
        assertThat(d.iothreadPins()).isEqualTo(Map.of(1, CpuSet.of(1)));
        assertThat(d.numaMemoryNodes()).contains(CpuSet.of(0));
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

    // --- libvirt's CPU and memory semantics -----------------------------------------------------

    @Test
    void vcpuCpusetStandsInForVcpusWithoutAPin() {
        Domain d = parse("<domain><name>a</name><vcpu placement='static' cpuset='4-7,^6'>3</vcpu>"
                + "<cputune><vcpupin vcpu='0' cpuset='1-3,^2'/></cputune></domain>");
        assertThat(d.vcpuPins()).containsExactly(Map.entry(0, CpuSet.of(1, 3)));
        assertThat(d.vcpuPlacement().cpuset()).contains(CpuSet.of(4, 5, 7));
        assertThat(d.vcpuCpus(0)).contains(CpuSet.of(1, 3));
        assertThat(d.vcpuCpus(1)).contains(CpuSet.of(4, 5, 7));
        assertThat(d.vcpuPlacement().online()).isEqualTo(CpuSet.range(0, 2));
    }

    @Test
    void numadPlacementLeavesUnpinnedVcpusUnknown() {
        Domain d = parse("<domain><name>a</name><vcpu placement='auto' cpuset='0-1'>2</vcpu>"
                + "<numatune><memory mode='strict' placement='auto'/></numatune></domain>");
        assertThat(d.vcpuPlacement().auto()).isTrue();
        assertThat(d.vcpuCpus(0)).isEmpty();
        assertThat(d.numa().memoryPlacementAuto()).isTrue();
        assertThat(d.numaMemoryNodes()).isEmpty();
    }

    @Test
    void onlineVcpusComeFromCurrentOrFromTheEnabledOnes() {
        assertThat(parse("<domain><name>a</name><vcpu current='2'>6</vcpu></domain>").vcpuPlacement().online())
                .isEqualTo(CpuSet.of(0, 1));
        Domain d = parse("<domain><name>a</name><vcpu current='3'>4</vcpu><vcpus>"
                + "<vcpu id='0' enabled='yes' hotpluggable='no'/><vcpu id='1' enabled='no' hotpluggable='yes'/>"
                + "<vcpu id='2' enabled='yes' hotpluggable='yes'/><vcpu id='3' enabled='yes' hotpluggable='yes'/></vcpus></domain>");
        assertThat(d.vcpus()).isEqualTo(4);
        assertThat(d.vcpuPlacement().online()).isEqualTo(CpuSet.of(0, 2, 3));
    }

    @Test
    void readsLibvirtsOwnSchedulers() {
        Domain d = parse("<domain><name>a</name><vcpu>2</vcpu><cputune><vcpusched vcpus='0-1' scheduler='fifo' priority='1'/>"
                + "<iothreadsched iothreads='1-3,^2' scheduler='batch'/><emulatorsched scheduler='idle'/></cputune></domain>");
        assertThat(d.vcpuPlacement().vcpuScheds()).containsExactly(
                new Domain.ThreadSched(Optional.of(CpuSet.of(0, 1)), "fifo", java.util.OptionalInt.of(1)));
        assertThat(d.vcpuPlacement().iothreadScheds()).extracting(Domain.ThreadSched::ids).containsExactly(Optional.of(CpuSet.of(1, 3)));
        assertThat(d.vcpuPlacement().emulatorSched()).map(Domain.ThreadSched::describe).contains("idle");
    }

    @Test
    void readsCellsDimmsAndMemnodes() {
        Domain d = parse("<domain><name>a</name><memory unit='KiB'>3145728</memory>"
                + "<numatune><memory mode='strict' nodeset='0-5,^4'/><memnode cellid='1' mode='strict' nodeset='1'/></numatune>"
                + "<cpu><numa><cell id='0' cpus='0' memory='1' unit='GiB'/><cell id='1' cpus='1' memory='524288'/></numa></cpu>"
                + "<devices><memory model='dimm'><source><nodemask>1-3</nodemask><pagesize unit='KiB'>2048</pagesize></source>"
                + "<target><size unit='MiB'>512</size><node>1</node></target></memory></devices></domain>");
        assertThat(d.numaMemoryNodes()).contains(CpuSet.parseList("0-3,5"));
        assertThat(d.numa().memnodes()).containsExactly(Map.entry(1, CpuSet.of(1)));
        assertThat(d.numa().cells()).containsExactly(new Domain.Cell(0, 1L << 30), new Domain.Cell(1, 512L << 20));
        assertThat(d.numa().dimms()).containsExactly(new Domain.Dimm(512L << 20, java.util.OptionalInt.of(1),
                java.util.OptionalLong.of(2L << 20), Optional.of(CpuSet.range(1, 3))));
        assertThat(d.numa().bytes()).isEqualTo(2L << 30);
    }

    @Test
    void theSystemPageSizeIsAPageButNotAHugepage() {
        Domain d = parse("<domain><name>a</name><memoryBacking><hugepages><page size='4' unit='KiB'/></hugepages></memoryBacking></domain>");
        assertThat(d.hugepages().orElseThrow().pages()).containsExactly(new Domain.Page(4096, Optional.empty()));
    }

    @Test
    void malformedCpuAndMemoryValuesAreTypedErrorsNamingTheElement() {
        String[][] cases = {
            {"<memoryBacking><hugepages><page size='8' unit='KiB'/></hugepages></memoryBacking>", "<page size>"},
            {"<memoryBacking><hugepages><page size='2048' nodeset='0-'/></hugepages></memoryBacking>", "<page nodeset>"},
            {"<memoryBacking><hugepages><page size='x'/></hugepages></memoryBacking>", "hugepages page size"},
            {"<vcpu cpuset='1;2'>2</vcpu>", "<vcpu cpuset>"},
            {"<vcpu placement='numad'>2</vcpu>", "<vcpu placement='numad'>"},
            {"<vcpu current='3'>2</vcpu>", "vcpu current"},
            {"<cputune><emulatorpin cpuset='^1'/></cputune>", "<emulatorpin cpuset>"},
            {"<cputune><iothreadpin iothread='1' cpuset='a'/></cputune>", "<iothreadpin cpuset>"},
            {"<cputune><vcpusched vcpus='0' scheduler='deadline'/></cputune>", "<vcpusched scheduler='deadline'>"},
            {"<cputune><vcpusched vcpus='0' scheduler='fifo' priority='high'/></cputune>", "vcpusched priority"},
            {"<numatune><memory nodeset='0--1'/></numatune>", "<memory nodeset>"},
            {"<numatune><memnode cellid='0' nodeset=''/></numatune>", "<memnode> lacks the attribute nodeset"},
            {"<cpu><numa><cell id='0' memory='lots'/></numa></cpu>", "numa cell memory"},
            {"<cpu><numa><cell id='0' memory='1'/><cell id='0' memory='1'/></numa></cpu>", "duplicate <cell id='0'>"},
            {"<devices><memory model='dimm'><target><node>0</node></target></memory></devices>", "lacks <target><size>"},
            {"<devices><memory model='dimm'><source><pagesize>3</pagesize></source><target><size>1024</size></target></memory>"
                    + "</devices>", "<memory model='dimm'><source><pagesize>"},
            {"<devices><memory model='dimm'><source><nodemask>x</nodemask></source><target><size>1024</size></target></memory>"
                    + "</devices>", "<memory model='dimm'><source><nodemask>"},
        };
        for (String[] c : cases) {
            assertThatThrownBy(() -> parse("<domain><name>a</name>" + c[0] + "</domain>")).as(c[0])
                    .isInstanceOf(DomainXmlException.class).hasMessageContaining(c[1]);
        }
    }

    private Domain parse(String xml) {
        return parser.parse(xml.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void hookMetadataIsBoundedAndItsScriptsCountedInOrder() {
        String many = "<script exec='/bin/true'/>".repeat(DomainXmlParser.MAX_SCRIPTS);
        Domain d = parse("<domain><name>a</name><metadata><hooks xmlns='urn:libvirt-hooks:1'>" + many + "</hooks></metadata></domain>");
        assertThat(d.hooksConfig().get("script")).hasSize(DomainXmlParser.MAX_SCRIPTS)
                .containsEntry("1.exec", "/bin/true").containsEntry(DomainXmlParser.MAX_SCRIPTS + ".exec", "/bin/true");

        assertThatThrownBy(() -> parse("<domain><name>a</name><metadata><hooks xmlns='urn:libvirt-hooks:1'>" + many
                + "<script exec='/bin/false'/></hooks></metadata></domain>")).isInstanceOf(DomainXmlException.class)
                .hasMessage("more than " + DomainXmlParser.MAX_SCRIPTS + " <script> elements in <hooks>");
        StringBuilder attributes = new StringBuilder();
        for (int i = 0; i <= DomainXmlParser.MAX_ATTRIBUTES; i++) {
            attributes.append(" opt-a").append(i).append("='x'");
        }
        assertThatThrownBy(() -> parse("<domain><name>a</name><metadata><hooks xmlns='urn:libvirt-hooks:1'><script exec='/bin/true'"
                + attributes + "/></hooks></metadata></domain>")).hasMessageContaining("has more than " + DomainXmlParser.MAX_ATTRIBUTES
                + " attributes");
        assertThatThrownBy(() -> parse("<domain><name>a</name><description>" + "x".repeat(DomainXmlParser.MAX_XML_BYTES)
                + "</description></domain>")).hasMessage("domain XML is larger than " + DomainXmlParser.MAX_XML_BYTES + " bytes");
    }

    @Test
    void pciHostdevsAreReadInLibvirtsHexWithManagedDefaultingToNo() {
        Domain d = parse("<domain><name>gpu</name><memory>1024</memory><devices>"
                + "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x0a' slot='0x00'"
                + " function='0x1'/></source></hostdev>"
                + "<hostdev mode='subsystem' type='pci'><source><address bus='1' slot='0' function='0'/></source>"
                + "<address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0'/></hostdev>"
                + "<hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='0x046d'/></source></hostdev>"
                + "</devices></domain>");
        assertThat(d.hasHostDevices()).isTrue();
        assertThat(d.pciHostdevs()).containsExactly(
                new Domain.PciHostdev(new io.github.libvirthooks.sysfs.pci.PciAddress("0000:0a:00.1"), true),
                new Domain.PciHostdev(new io.github.libvirthooks.sysfs.pci.PciAddress("0000:01:00.0"), false));
    }

    @Test
    void hostilePciHostdevsAreRefusedWithTheAttribute() {
        for (String bad : new String[] {"bus='0x100' slot='0' function='0'", "bus='0x01' slot='0x20' function='0'",
                "bus='0x01' slot='0' function='8'", "bus='0x01/../..' slot='0' function='0'", "slot='0' function='0'",
                "bus='0x' slot='0' function='0'", "bus='0x000000001' slot='0' function='0'"}) {
            assertThatThrownBy(() -> parse("<domain><name>gpu</name><devices><hostdev mode='subsystem' type='pci'><source><address "
                    + bad + "/></source></hostdev></devices></domain>")).as(bad).isInstanceOf(DomainXmlException.class)
                    .hasMessageContaining("hostdev");
        }
        assertThatThrownBy(() -> parse("<domain><name>gpu</name><devices><hostdev type='pci' managed='maybe'><source><address"
                + " bus='1' slot='0' function='0'/></source></hostdev></devices></domain>")).isInstanceOf(DomainXmlException.class)
                .hasMessageContaining("managed");
        String many = "<hostdev type='pci'><source><address bus='1' slot='0' function='0'/></source></hostdev>".repeat(257);
        assertThatThrownBy(() -> parse("<domain><name>gpu</name><devices>" + many + "</devices></domain>"))
                .isInstanceOf(DomainXmlException.class).hasMessageContaining("256");
    }
}
