package io.github.libvirthooks.features.virtualnas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LibvirtNetworkTest {
    @TempDir
    Path root;

    @Test
    void theLiveStatusFileWinsOverTheDefinition() throws IOException {
        write("/etc/libvirt/qemu/networks/nas.xml", "<network><name>nas</name><bridge name='virbr9'/>"
                + "<ip address='10.9.9.1' prefix='24'/></network>");
        write("/run/libvirt/network/nas.xml", "<networkstatus><class_id bitmap='0-2'/><floor sum='0'/><network><name>nas</name>"
                + "<bridge name='virbr7' stp='on' delay='0'/><mac address='52:54:00:00:00:01'/>"
                + "<ip family='ipv6' address='fd00::1' prefix='64'/><ip address='192.168.77.1' netmask='255.255.255.0'>"
                + "<dhcp><range start='192.168.77.2' end='192.168.77.254'/></dhcp></ip></network></networkstatus>");
        LibvirtNetwork network = LibvirtNetwork.read(HostRoot.at(root), "nas");
        assertThat(network).isEqualTo(new LibvirtNetwork("nas", java.util.Optional.of("virbr7"), Ipv4.parse("192.168.77.1"), 24,
                "none", true));
        assertThat(network.forwards()).isFalse();
    }

    @Test
    void theDefinitionIsUsedWhenThereIsNoStatusAndNatCountsAsForwarding() throws IOException {
        write("/etc/libvirt/qemu/networks/default.xml", "<network><name>default</name><forward mode='nat'/>"
                + "<bridge name='virbr0'/><ip address='192.168.122.1' netmask='255.255.255.0'/></network>");
        LibvirtNetwork network = LibvirtNetwork.read(HostRoot.at(root), "default");
        assertThat(network.live()).isFalse();
        assertThat(network.forwards()).isTrue();
        assertThat(network.forwardMode()).isEqualTo("nat");
        assertThat(network.prefix()).isEqualTo(24);
    }

    @Test
    void networksWithoutAHostAddressAreRefused() throws IOException {
        write("/run/libvirt/network/br.xml", "<networkstatus><network><name>br</name><forward mode='bridge'/>"
                + "<bridge name='br0'/></network></networkstatus>");
        write("/run/libvirt/network/v6.xml", "<network><name>v6</name><ip family='ipv6' address='fd00::1' prefix='64'/></network>");
        write("/run/libvirt/network/lo.xml", "<network><name>lo</name><ip address='127.0.0.1' prefix='8'/></network>");
        HostRoot host = HostRoot.at(root);
        assertThatThrownBy(() -> LibvirtNetwork.read(host, "br")).hasMessageContaining("forward mode 'bridge'");
        assertThatThrownBy(() -> LibvirtNetwork.read(host, "v6")).hasMessageContaining("no IPv4 address");
        assertThatThrownBy(() -> LibvirtNetwork.read(host, "lo")).hasMessageContaining("refusing to serve there");
        assertThatThrownBy(() -> LibvirtNetwork.read(host, "missing")).hasMessageContaining("is not defined");
    }

    @Test
    void namesThatAreNotFileNamesAreRefusedAndEntitiesAreNotExpanded() throws IOException {
        HostRoot host = HostRoot.at(root);
        for (String bad : new String[] {"../x", "a/b", "..", ".", "", "a\nb"}) {
            assertThatThrownBy(() -> LibvirtNetwork.read(host, bad)).as(bad).isInstanceOf(FeatureException.class);
        }
        write("/run/libvirt/network/evil.xml", "<!DOCTYPE n [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><network><name>&x;</name></network>");
        assertThatThrownBy(() -> LibvirtNetwork.read(host, "evil")).hasMessageContaining("cannot parse");
    }

    private void write(String hostPath, String text) throws IOException {
        Path file = root.resolve(hostPath.substring(1));
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
