package io.github.libvirthooks.features.virtualnas;

import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * The host side of a libvirt virtual network, read from the files libvirtd keeps (the hook must
 * never ask libvirtd itself): the live status {@code /run/libvirt/network/NAME.xml} of an active
 * network, else its definition {@code /etc/libvirt/qemu/networks/NAME.xml}.
 *
 * @param name        the network's name
 * @param bridge      the host bridge ({@code virbr0}), when libvirt names one
 * @param address     the host's IPv4 address on the network (the first {@code <ip>} of family ipv4)
 * @param prefix      its prefix length
 * @param forwardMode {@code none} for an isolated network, else libvirt's forward mode ({@code nat}, {@code route}, ...)
 * @param live        true when read from the live status file
 */
record LibvirtNetwork(String name, Optional<String> bridge, Ipv4 address, int prefix, String forwardMode, boolean live) {
    static final String STATUS_DIR = "/run/libvirt/network";
    static final String CONFIG_DIR = "/etc/libvirt/qemu/networks";

    /** Network names become file names here: no slashes, no dot-only names, nothing unprintable. */
    static void checkName(String name) {
        if (name.isEmpty() || name.length() > 255 || name.contains("/") || name.equals(".") || name.equals("..")
                || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new FeatureException("invalid virtual-nas network '" + SmbConf.printable(name)
                    + "': the name of a libvirt network, as 'virsh net-list --all' shows it");
        }
    }

    /** True when guests on the network can reach (or be reached from) beyond the host. */
    boolean forwards() {
        return !forwardMode.equals("none");
    }

    /**
     * Reads the network's host address.
     *
     * @throws FeatureException when the network is unknown, or has no IPv4 address on the host
     */
    static LibvirtNetwork read(HostRoot host, String name) {
        checkName(name);
        String status = STATUS_DIR + "/" + name + ".xml";
        String config = CONFIG_DIR + "/" + name + ".xml";
        boolean live;
        String xml;
        try {
            Optional<String> text = host.readIfExists(status);
            live = text.isPresent();
            xml = text.or(() -> host.readIfExists(config)).orElseThrow(() -> new FeatureException("libvirt network '" + name
                    + "' is not defined (neither " + status + " nor " + config + " exists); name a network from 'virsh net-list --all'"));
        } catch (HostAccessException e) {
            throw new FeatureException("cannot read libvirt network '" + name + "': " + e.getMessage(), e);
        }
        Element root = parse(xml, live ? status : config);
        Element network = root;
        if (root.getTagName().equals("networkstatus")) {
            network = child(root, "network").orElseThrow(() -> new FeatureException(status + " has no <network>"));
        }
        if (!network.getTagName().equals("network")) {
            throw new FeatureException((live ? status : config) + " is not a libvirt network (root <" + root.getTagName() + ">)");
        }
        String forward = child(network, "forward").map(f -> f.getAttribute("mode").isEmpty() ? "nat" : f.getAttribute("mode"))
                .orElse("none");
        if (!Set.of("none", "nat", "route", "open").contains(forward)) {
            throw new FeatureException("libvirt network '" + name + "' uses forward mode '" + forward + "': its guests sit on a host"
                    + " device or bridge without an address of this host; use an isolated (no <forward>) or NAT network");
        }
        Optional<String> bridge = child(network, "bridge").map(b -> b.getAttribute("name")).filter(s -> !s.isEmpty());
        for (Node n = network.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element ip && ip.getTagName().equals("ip")
                    && (ip.getAttribute("family").isEmpty() || ip.getAttribute("family").equals("ipv4"))
                    && !ip.getAttribute("address").isEmpty()) {
                Ipv4 address = Ipv4.parse(ip.getAttribute("address"));
                int prefix;
                if (!ip.getAttribute("prefix").isEmpty()) {
                    String p = ip.getAttribute("prefix");
                    if (!p.matches("[0-9]{1,2}") || Integer.parseInt(p) > 32) {
                        throw new FeatureException("libvirt network '" + name + "' has prefix '" + p + "', not 0..32");
                    }
                    prefix = Integer.parseInt(p);
                } else if (!ip.getAttribute("netmask").isEmpty()) {
                    prefix = Ipv4.prefixOf(ip.getAttribute("netmask"));
                } else {
                    prefix = 24;
                }
                if (address.isLoopbackOrAny()) {
                    throw new FeatureException("libvirt network '" + name + "' has host address " + address + "; refusing to serve there");
                }
                return new LibvirtNetwork(name, bridge, address, prefix, forward, live);
            }
        }
        throw new FeatureException("libvirt network '" + name + "' gives the host no IPv4 address (no <ip address=...>);"
                + " virtual-nas serves on that address: add one, e.g. <ip address='192.168.100.1' prefix='24'/>");
    }

    private static Optional<Element> child(Element parent, String tag) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(tag)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    private static Element parse(String xml, String file) {
        try {
            return io.github.libvirthooks.features.domain.SafeXml.builder()
                    .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8))).getDocumentElement();
        } catch (SAXException | IOException e) {
            throw new FeatureException("cannot parse " + file + ": " + e.getMessage(), e);
        }
    }
}
