package io.github.libvirthooks.features.domain;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Parses libvirt domain XML into a {@link Domain}, safely: no DTDs, no external entities,
 * bounded size, and malformed input reported in one line.
 */
public final class DomainXmlParser {
    /** Our metadata namespace; the version is part of it. */
    public static final String HOOKS_NAMESPACE = "urn:libvirt-hooks:1";

    /**
     * Features that may appear several times in {@code <hooks>}: their n-th element's attributes
     * are returned as options named {@code <n>.<attribute>} (1-based, document order).
     */
    public static final java.util.Set<String> REPEATABLE = java.util.Set.of("script");

    /** Real domain XML is a few KiB; libvirt itself caps it at 10 MiB. */
    public static final int MAX_XML_BYTES = 10 * 1024 * 1024;

    /** Parses XML read from a stream (stdin, for the hook). */
    public Domain parse(InputStream in) {
        byte[] bytes;
        try {
            bytes = in.readNBytes(MAX_XML_BYTES + 1);
        } catch (IOException e) {
            throw new DomainXmlException("cannot read the domain XML: " + e.getMessage(), e);
        }
        if (bytes.length > MAX_XML_BYTES) {
            throw new DomainXmlException("domain XML is larger than " + MAX_XML_BYTES + " bytes");
        }
        return parse(bytes);
    }

    /** Parses XML given as bytes. */
    public Domain parse(byte[] bytes) {
        if (bytes.length == 0) {
            throw new DomainXmlException("no domain XML on standard input (libvirt passes it there)");
        }
        Document doc = document(bytes);
        Element root = doc.getDocumentElement();
        if (!"domain".equals(root.getLocalName()) || root.getNamespaceURI() != null) {
            throw new DomainXmlException("not a libvirt domain: root element is <" + root.getTagName() + ">");
        }
        String name = text(child(root, "name")).orElseThrow(() -> new DomainXmlException("domain XML has no <name>"));
        String uuid = text(child(root, "uuid")).orElse("");
        long memory = child(root, "memory").map(e -> size(e, "memory", "KiB")).orElse(0L);
        Optional<Domain.HugePageBacking> hugepages = child(root, "memoryBacking")
                .flatMap(mb -> child(mb, "hugepages"))
                .map(this::hugepages);
        int vcpus = child(root, "vcpu").map(e -> (int) number(e.getTextContent(), "vcpu", 1, 16384)).orElse(1);

        Map<Integer, String> vcpuPins = new LinkedHashMap<>();
        Map<Integer, String> iothreadPins = new LinkedHashMap<>();
        Optional<String> emulatorPin = Optional.empty();
        Optional<Element> cputune = child(root, "cputune");
        if (cputune.isPresent()) {
            for (Element pin : children(cputune.get(), "vcpupin")) {
                int vcpu = (int) number(pin.getAttribute("vcpu"), "vcpupin vcpu", 0, 16383);
                if (vcpuPins.put(vcpu, requireAttr(pin, "cpuset")) != null) {
                    throw new DomainXmlException("duplicate <vcpupin vcpu='" + vcpu + "'>");
                }
            }
            for (Element pin : children(cputune.get(), "iothreadpin")) {
                int id = (int) number(pin.getAttribute("iothread"), "iothreadpin iothread", 0, 16383);
                if (iothreadPins.put(id, requireAttr(pin, "cpuset")) != null) {
                    throw new DomainXmlException("duplicate <iothreadpin iothread='" + id + "'>");
                }
            }
            emulatorPin = child(cputune.get(), "emulatorpin").map(e -> requireAttr(e, "cpuset"));
        }
        Optional<String> numaNodes = child(root, "numatune").flatMap(n -> child(n, "memory"))
                .map(e -> e.getAttribute("nodeset")).filter(s -> !s.isBlank());

        boolean hostdev = false;
        List<String> networks = new ArrayList<>();
        boolean agent = false;
        Optional<Element> devices = child(root, "devices");
        if (devices.isPresent()) {
            hostdev = !children(devices.get(), "hostdev").isEmpty();
            for (Element iface : children(devices.get(), "interface")) {
                if ("network".equals(iface.getAttribute("type"))) {
                    child(iface, "source").map(s -> s.getAttribute("network")).filter(s -> !s.isEmpty()).ifPresent(networks::add);
                }
            }
            for (Element channel : children(devices.get(), "channel")) {
                if (child(channel, "target").map(t -> "org.qemu.guest_agent.0".equals(t.getAttribute("name"))).orElse(false)) {
                    agent = true;
                }
            }
        }
        Map<String, Map<String, String>> hooks = child(root, "metadata").map(this::hooksConfig).orElse(Map.of());
        return new Domain(name, uuid, memory, hugepages, vcpus, vcpuPins, emulatorPin, iothreadPins, numaNodes,
                hostdev, networks, agent, hooks);
    }

    private Domain.HugePageBacking hugepages(Element element) {
        List<Domain.Page> pages = new ArrayList<>();
        for (Element page : children(element, "page")) {
            long size = sizeAttr(page, "size", "unit", "hugepages page size", "KiB");
            String nodeset = page.getAttribute("nodeset");
            pages.add(new Domain.Page(size, nodeset.isBlank() ? Optional.empty() : Optional.of(nodeset)));
        }
        return new Domain.HugePageBacking(pages);
    }

    private Map<String, Map<String, String>> hooksConfig(Element metadata) {
        List<Element> found = new ArrayList<>();
        for (Node n = metadata.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && HOOKS_NAMESPACE.equals(e.getNamespaceURI())) {
                found.add(e);
            }
        }
        if (found.isEmpty()) {
            return Map.of();
        }
        if (found.size() > 1) {
            throw new DomainXmlException("more than one <hooks xmlns='" + HOOKS_NAMESPACE + "'> element in <metadata>");
        }
        Element hooks = found.get(0);
        if (!"hooks".equals(hooks.getLocalName())) {
            throw new DomainXmlException("unexpected <" + hooks.getLocalName() + "> in namespace " + HOOKS_NAMESPACE
                    + "; expected <hooks>");
        }
        Map<String, Map<String, String>> features = new LinkedHashMap<>();
        for (Node n = hooks.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element feature) {
                if (!HOOKS_NAMESPACE.equals(feature.getNamespaceURI())) {
                    throw new DomainXmlException("<" + feature.getTagName() + "> inside <hooks> must be in namespace "
                            + HOOKS_NAMESPACE);
                }
                Map<String, String> options = new LinkedHashMap<>();
                for (int i = 0; i < feature.getAttributes().getLength(); i++) {
                    Node attr = feature.getAttributes().item(i);
                    if (!"http://www.w3.org/2000/xmlns/".equals(attr.getNamespaceURI())) {
                        options.put(attr.getLocalName() == null ? attr.getNodeName() : attr.getLocalName(), attr.getNodeValue());
                    }
                }
                if (REPEATABLE.contains(feature.getLocalName())) {
                    // Several, in document order: the n-th element's attributes become options "<n>.<attribute>".
                    Map<String, String> all = features.computeIfAbsent(feature.getLocalName(), k -> new LinkedHashMap<>());
                    int index = (int) all.keySet().stream().map(k -> k.substring(0, k.indexOf('.'))).distinct().count() + 1;
                    options.forEach((k, v) -> all.put(index + "." + k, v));
                    if (options.isEmpty()) {
                        all.put(index + ".exec", "");
                    }
                } else if (features.put(feature.getLocalName(), options) != null) {
                    throw new DomainXmlException("feature <" + feature.getLocalName() + "> appears twice in <hooks>");
                }
            }
        }
        return features;
    }

    private static Document document(byte[] bytes) {
        try {
            return SafeXml.builder().parse(new ByteArrayInputStream(bytes));
        } catch (SAXParseException e) {
            throw new DomainXmlException("malformed domain XML at line " + e.getLineNumber() + ", column "
                    + e.getColumnNumber() + ": " + oneLine(e.getMessage()), e);
        } catch (SAXException | IOException e) {
            throw new DomainXmlException("malformed domain XML: " + oneLine(e.getMessage()), e);
        }
    }

    private static long size(Element e, String what, String defaultUnit) {
        long value = number(e.getTextContent(), what, 0, Long.MAX_VALUE);
        String unit = e.getAttribute("unit");
        return scale(value, unit.isEmpty() ? defaultUnit : unit, what);
    }

    private static long sizeAttr(Element e, String valueAttr, String unitAttr, String what, String defaultUnit) {
        long value = number(requireAttr(e, valueAttr), what, 1, Long.MAX_VALUE);
        String unit = e.getAttribute(unitAttr);
        return scale(value, unit.isEmpty() ? defaultUnit : unit, what);
    }

    /** libvirt's units: b/bytes, KB/K/KiB/k/kib, MB/M/MiB, GB/G/GiB, TB/T/TiB (KB = 1000, K/KiB = 1024). */
    static long scale(long value, String unit, String what) {
        long factor = switch (unit) {
            case "b", "bytes" -> 1L;
            case "KB" -> 1000L;
            case "k", "K", "KiB", "kib" -> 1024L;
            case "MB" -> 1000L * 1000;
            case "m", "M", "MiB", "mib" -> 1024L * 1024;
            case "GB" -> 1000L * 1000 * 1000;
            case "g", "G", "GiB", "gib" -> 1024L * 1024 * 1024;
            case "TB" -> 1000L * 1000 * 1000 * 1000;
            case "t", "T", "TiB", "tib" -> 1024L * 1024 * 1024 * 1024;
            default -> throw new DomainXmlException("unknown unit '" + unit + "' for " + what);
        };
        try {
            return Math.multiplyExact(value, factor);
        } catch (ArithmeticException e) {
            throw new DomainXmlException(what + " of " + value + " " + unit + " is too large");
        }
    }

    private static long number(String text, String what, long min, long max) {
        String t = text.strip();
        long v;
        try {
            v = Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new DomainXmlException("invalid " + what + " '" + abbreviate(t) + "': not a number");
        }
        if (v < min || v > max) {
            throw new DomainXmlException("invalid " + what + " " + v + ": must be " + min + ".." + max);
        }
        return v;
    }

    private static String requireAttr(Element e, String attr) {
        String value = e.getAttribute(attr);
        if (value.isEmpty()) {
            throw new DomainXmlException("<" + e.getTagName() + "> lacks the attribute " + attr);
        }
        return value;
    }

    private static Optional<Element> child(Element parent, String name) {
        List<Element> found = children(parent, name);
        if (found.size() > 1 && !name.equals("metadata")) {
            throw new DomainXmlException("<" + parent.getTagName() + "> has more than one <" + name + ">");
        }
        return found.stream().findFirst();
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i) instanceof Element e && e.getNamespaceURI() == null && name.equals(e.getLocalName())) {
                out.add(e);
            }
        }
        return out;
    }

    private static Optional<String> text(Optional<Element> e) {
        return e.map(Element::getTextContent).map(String::strip).filter(s -> !s.isEmpty());
    }

    private static String oneLine(String s) {
        return s == null ? "unknown error" : s.replaceAll("\\s+", " ").strip();
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
