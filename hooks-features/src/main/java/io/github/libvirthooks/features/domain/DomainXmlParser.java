package io.github.libvirthooks.features.domain;

import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
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
    public static final int MAX_XML_BYTES = 1024 * 1024;
    /** More {@code <script>} elements than any VM needs; each runs under the host lock. */
    public static final int MAX_SCRIPTS = 256;
    /** Elements inside {@code <hooks>} in all. */
    public static final int MAX_HOOK_ELEMENTS = 512;
    /** Attributes of one feature element. */
    public static final int MAX_ATTRIBUTES = 64;
    /** More host devices than a PCI topology can hold is garbage. */
    public static final int MAX_HOSTDEVS = 256;

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
        if (bytes.length > MAX_XML_BYTES) {
            throw new DomainXmlException("domain XML is larger than " + MAX_XML_BYTES + " bytes");
        }
        Document doc = document(bytes);
        Element root = doc.getDocumentElement();
        if (!"domain".equals(root.getLocalName()) || root.getNamespaceURI() != null) {
            throw new DomainXmlException("not a libvirt domain: root element is <" + root.getTagName() + ">");
        }
        // Plain branches rather than Optional chains of lambdas here: each lambda is a call site a cold hook JVM bootstraps.
        String name = text(child(root, "name"));
        if (name.isEmpty()) {
            throw new DomainXmlException("domain XML has no <name>");
        }
        String uuid = text(child(root, "uuid"));
        Optional<Element> memoryElement = child(root, "memory");
        long memory = memoryElement.isPresent() ? size(memoryElement.get(), "memory", "KiB") : 0L;
        Optional<Domain.HugePageBacking> hugepages = Optional.empty();
        Optional<Element> hugepagesElement = child(child(root, "memoryBacking"), "hugepages");
        if (hugepagesElement.isPresent()) {
            hugepages = Optional.of(hugepages(hugepagesElement.get()));
        }
        Optional<Element> vcpuElement = child(root, "vcpu");
        int vcpus = vcpuElement.isPresent() ? (int) number(vcpuElement.get().getTextContent(), "vcpu", 1, 16384) : 1;

        Map<Integer, CpuSet> vcpuPins = new LinkedHashMap<>();
        Map<Integer, CpuSet> iothreadPins = new LinkedHashMap<>();
        Optional<CpuSet> emulatorPin = Optional.empty();
        List<Domain.ThreadSched> vcpuScheds = new ArrayList<>();
        List<Domain.ThreadSched> iothreadScheds = new ArrayList<>();
        Optional<Domain.ThreadSched> emulatorSched = Optional.empty();
        Optional<Element> cputune = child(root, "cputune");
        if (cputune.isPresent()) {
            for (Element pin : children(cputune.get(), "vcpupin")) {
                int vcpu = (int) number(pin.getAttribute("vcpu"), "vcpupin vcpu", 0, 16383);
                if (vcpuPins.put(vcpu, cpuList(pin, "cpuset")) != null) {
                    throw new DomainXmlException("duplicate <vcpupin vcpu='" + vcpu + "'>");
                }
            }
            for (Element pin : children(cputune.get(), "iothreadpin")) {
                int id = (int) number(pin.getAttribute("iothread"), "iothreadpin iothread", 0, 16383);
                if (iothreadPins.put(id, cpuList(pin, "cpuset")) != null) {
                    throw new DomainXmlException("duplicate <iothreadpin iothread='" + id + "'>");
                }
            }
            Optional<Element> emulatorPinElement = child(cputune.get(), "emulatorpin");
            if (emulatorPinElement.isPresent()) {
                emulatorPin = Optional.of(cpuList(emulatorPinElement.get(), "cpuset"));
            }
            for (Element sched : children(cputune.get(), "vcpusched")) {
                vcpuScheds.add(sched(sched, "vcpus"));
            }
            for (Element sched : children(cputune.get(), "iothreadsched")) {
                iothreadScheds.add(sched(sched, "iothreads"));
            }
            Optional<Element> emulatorSchedElement = child(cputune.get(), "emulatorsched");
            if (emulatorSchedElement.isPresent()) {
                emulatorSched = Optional.of(sched(emulatorSchedElement.get(), null));
            }
        }
        Domain.VcpuPlacement placement = vcpuPlacement(vcpuElement, child(root, "vcpus"), vcpus, vcpuScheds, iothreadScheds,
                emulatorSched);

        Optional<Element> numatune = child(root, "numatune");
        Optional<Element> numaMemory = child(numatune, "memory");
        Optional<CpuSet> numaNodes = Optional.empty();
        if (numaMemory.isPresent() && !numaMemory.get().getAttribute("nodeset").isBlank()) {
            numaNodes = Optional.of(cpuList(numaMemory.get(), "nodeset"));
        }
        boolean numad = numaMemory.isPresent() && "auto".equals(numaMemory.get().getAttribute("placement"));
        Map<Integer, CpuSet> memnodes = new LinkedHashMap<>();
        for (Element memnode : numatune.isPresent() ? children(numatune.get(), "memnode") : List.<Element>of()) {
            int cell = (int) number(memnode.getAttribute("cellid"), "memnode cellid", 0, 16383);
            if (memnodes.put(cell, cpuList(memnode, "nodeset")) != null) {
                throw new DomainXmlException("duplicate <memnode cellid='" + cell + "'>");
            }
        }
        List<Domain.Cell> cells = cells(root);
        List<Domain.Dimm> dimms = new ArrayList<>();

        boolean hostdev = false;
        List<Domain.PciHostdev> pciHostdevs = new ArrayList<>();
        List<Domain.Shmem> shmems = new ArrayList<>();
        List<Domain.UsbHostdev> usbHostdevs = new ArrayList<>();
        List<String> networks = new ArrayList<>();
        boolean agent = false;
        Optional<Element> devices = child(root, "devices");
        if (devices.isPresent()) {
            List<Element> hostdevs = children(devices.get(), "hostdev");
            hostdev = !hostdevs.isEmpty();
            if (hostdevs.size() > MAX_HOSTDEVS) {
                throw new DomainXmlException("more than " + MAX_HOSTDEVS + " <hostdev> elements");
            }
            for (Element device : hostdevs) {
                Optional<Domain.PciHostdev> pci = pciHostdev(device);
                if (pci.isPresent()) {
                    pciHostdevs.add(pci.get());
                }
                Optional<Domain.UsbHostdev> usb = usbHostdev(device);
                if (usb.isPresent()) {
                    usbHostdevs.add(usb.get());
                }
            }
            List<Element> shmemElements = children(devices.get(), "shmem");
            if (shmemElements.size() > MAX_HOSTDEVS) {
                throw new DomainXmlException("more than " + MAX_HOSTDEVS + " <shmem> elements");
            }
            for (Element device : shmemElements) {
                shmems.add(shmem(device));
            }
            for (Element device : children(devices.get(), "memory")) {
                if ("dimm".equals(device.getAttribute("model"))) {
                    dimms.add(dimm(device));
                }
            }
            for (Element iface : children(devices.get(), "interface")) {
                if ("network".equals(iface.getAttribute("type"))) {
                    Optional<Element> source = child(iface, "source");
                    if (source.isPresent() && !source.get().getAttribute("network").isEmpty()) {
                        networks.add(source.get().getAttribute("network"));
                    }
                }
            }
            for (Element channel : children(devices.get(), "channel")) {
                Optional<Element> target = child(channel, "target");
                if (target.isPresent() && "org.qemu.guest_agent.0".equals(target.get().getAttribute("name"))) {
                    agent = true;
                }
            }
        }
        Optional<Element> metadata = child(root, "metadata");
        Map<String, Map<String, String>> hooks = metadata.isPresent() ? hooksConfig(metadata.get()) : Map.of();
        return new Domain(name, uuid, memory, hugepages, vcpus, vcpuPins, emulatorPin, iothreadPins, numaNodes,
                hostdev, networks, agent, hooks, placement, new Domain.GuestNuma(cells, dimms, memnodes, numad), pciHostdevs,
                shmems, usbHostdevs);
    }

    /** {@code <shmem name='...'><model type='...'/><size unit='M'>32</size></shmem>}; a size without a unit is in bytes, as libvirt reads it. */
    private static Domain.Shmem shmem(Element shmem) {
        String name = requireAttr(shmem, "name");
        Optional<Element> modelElement = child(shmem, "model");
        String model = modelElement.isPresent() ? modelElement.get().getAttribute("type") : "";
        Optional<Element> sizeElement = child(shmem, "size");
        OptionalLong size = sizeElement.isPresent() ? OptionalLong.of(size(sizeElement.get(), "<shmem> size", "b")) : OptionalLong.empty();
        return new Domain.Shmem(name, model, size);
    }

    /**
     * {@code <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000'
     * bus='0x01' slot='0x00' function='0x0'/></source></hostdev>}; other host devices (USB, SCSI,
     * mode='capabilities') are not PCI functions. libvirt's default for {@code managed} is no.
     */
    private static Optional<Domain.PciHostdev> pciHostdev(Element hostdev) {
        String mode = hostdev.getAttribute("mode");
        if (!"pci".equals(hostdev.getAttribute("type")) || !(mode.isEmpty() || mode.equals("subsystem"))) {
            return Optional.empty();
        }
        // Without a source address there is no host function to name (libvirt always writes one; a hand-made XML may not).
        Optional<Element> source = child(child(hostdev, "source"), "address");
        if (source.isEmpty()) {
            return Optional.empty();
        }
        Element address = source.get();
        String managed = hostdev.getAttribute("managed");
        if (!managed.isEmpty() && !managed.equals("yes") && !managed.equals("no")) {
            throw new DomainXmlException("invalid <hostdev managed='" + abbreviate(managed) + "'>: yes or no");
        }
        try {
            return Optional.of(new Domain.PciHostdev(io.github.libvirthooks.sysfs.pci.PciAddress.of(
                    (int) pciPart(address, "domain", 0xffff), (int) pciPart(address, "bus", 0xff),
                    (int) pciPart(address, "slot", 0x1f), (int) pciPart(address, "function", 7)), managed.equals("yes")));
        } catch (IllegalArgumentException e) {
            throw new DomainXmlException("invalid <hostdev> address: " + e.getMessage());
        }
    }

    /**
     * {@code <hostdev mode='subsystem' type='usb'><source><vendor id='0x046d'/><product id='0xc52b'/>
     * <address bus='1' device='5'/></source></hostdev>}: ids, address or both. Without either it
     * names no host device and is skipped, as a PCI hostdev without an address is.
     */
    private static Optional<Domain.UsbHostdev> usbHostdev(Element hostdev) {
        String mode = hostdev.getAttribute("mode");
        if (!"usb".equals(hostdev.getAttribute("type")) || !(mode.isEmpty() || mode.equals("subsystem"))) {
            return Optional.empty();
        }
        Optional<Element> source = child(hostdev, "source");
        if (source.isEmpty()) {
            return Optional.empty();
        }
        java.util.OptionalInt vendor = usbId(source.get(), "vendor");
        java.util.OptionalInt product = usbId(source.get(), "product");
        // libvirt wants both ids; a hand-made XML with one of them still names devices (all of that vendor's).
        java.util.OptionalInt bus = java.util.OptionalInt.empty();
        java.util.OptionalInt device = java.util.OptionalInt.empty();
        Optional<Element> address = child(source.get(), "address");
        if (address.isPresent()) {
            bus = java.util.OptionalInt.of(usbNumber(address.get().getAttribute("bus"), "USB <address bus>"));
            device = java.util.OptionalInt.of(usbNumber(address.get().getAttribute("device"), "USB <address device>"));
        }
        if (vendor.isEmpty() && bus.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Domain.UsbHostdev(vendor, product, bus, device));
    }

    /** libvirt reads the USB address with base 0: decimal, or hex with {@code 0x}. */
    private static int usbNumber(String text, String what) {
        String t = text.strip();
        if (t.startsWith("0x") || t.startsWith("0X")) {
            if (!t.substring(2).matches("[0-9a-fA-F]{1,3}")) {
                throw new DomainXmlException("invalid " + what + " '" + abbreviate(t) + "': a number such as 1 or 0x1");
            }
            int v = Integer.parseInt(t.substring(2), 16);
            if (v > 255) {
                throw new DomainXmlException("invalid " + what + " " + v + ": must be 0..255");
            }
            return v;
        }
        return (int) number(t, what, 0, 255);
    }

    /** {@code <vendor id='0x046d'/>}: four hex digits, {@code 0x} optional. */
    private static java.util.OptionalInt usbId(Element source, String name) {
        Optional<Element> element = child(source, name);
        if (element.isEmpty()) {
            return java.util.OptionalInt.empty();
        }
        String text = element.get().getAttribute("id").strip();
        String digits = text.startsWith("0x") || text.startsWith("0X") ? text.substring(2) : text;
        if (!digits.matches("[0-9a-fA-F]{1,4}")) {
            throw new DomainXmlException("invalid USB <" + name + " id='" + abbreviate(text) + "'>: hex such as 0x046d");
        }
        return java.util.OptionalInt.of(Integer.parseInt(digits, 16));
    }

    /** One part of a PCI address as libvirt writes it: hex with {@code 0x}, else decimal; domain defaults to 0. */
    private static long pciPart(Element address, String attr, long max) {
        String text = address.getAttribute(attr).strip();
        if (text.isEmpty() && attr.equals("domain")) {
            return 0;
        }
        if (text.isEmpty()) {
            throw new DomainXmlException("<hostdev> <address> lacks the attribute " + attr);
        }
        boolean hex = text.startsWith("0x") || text.startsWith("0X");
        String digits = hex ? text.substring(2) : text;
        if (digits.isEmpty() || digits.length() > 8 || !digits.matches(hex ? "[0-9a-fA-F]+" : "[0-9]+")) {
            throw new DomainXmlException("invalid <hostdev> address " + attr + "='" + abbreviate(text) + "': hex such as 0x01");
        }
        long v = Long.parseLong(digits, hex ? 16 : 10);
        if (v > max) {
            throw new DomainXmlException("invalid <hostdev> address " + attr + "='" + abbreviate(text) + "': at most 0x"
                    + Long.toHexString(max));
        }
        return v;
    }

    private Domain.HugePageBacking hugepages(Element element) {
        List<Domain.Page> pages = new ArrayList<>();
        for (Element page : children(element, "page")) {
            long size = pageSize(sizeAttr(page, "size", "unit", "hugepages page size", "KiB"), "<page size>");
            Optional<CpuSet> nodeset = page.getAttribute("nodeset").isBlank() ? Optional.empty()
                    : Optional.of(cpuList(page, "nodeset"));
            pages.add(new Domain.Page(size, nodeset));
        }
        return new Domain.HugePageBacking(pages);
    }

    /** The system page size: a {@code <page>} of it means regular memory to libvirt. */
    public static final long SYSTEM_PAGE_BYTES = 4096;

    /** A page size is the system page size or a hugepage size: a power of two of at least 64 KiB. */
    private static long pageSize(long bytes, String what) {
        if (bytes != SYSTEM_PAGE_BYTES && (bytes < 64 * 1024 || Long.bitCount(bytes) != 1)) {
            throw new DomainXmlException("invalid " + what + " of " + bytes + " bytes: a page is the system page size (4 KiB)"
                    + " or a hugepage size, a power of two of at least 64 KiB such as 2048 KiB or 1 GiB");
        }
        return bytes;
    }

    private Domain.VcpuPlacement vcpuPlacement(Optional<Element> vcpu, Optional<Element> vcpusList, int max,
            List<Domain.ThreadSched> vcpuScheds, List<Domain.ThreadSched> iothreadScheds, Optional<Domain.ThreadSched> emulatorSched) {
        Domain.Placement placement = Domain.Placement.STATIC;
        Optional<CpuSet> cpuset = Optional.empty();
        int current = max;
        if (vcpu.isPresent()) {
            Element e = vcpu.get();
            placement = switch (e.getAttribute("placement")) {
                case "", "static" -> Domain.Placement.STATIC;
                case "auto" -> Domain.Placement.AUTO;
                default -> throw new DomainXmlException("invalid <vcpu placement='" + printable(abbreviate(e.getAttribute("placement")))
                        + "'>: libvirt knows static and auto");
            };
            if (!e.getAttribute("cpuset").isBlank()) {
                cpuset = Optional.of(cpuList(e, "cpuset"));
            }
            if (!e.getAttribute("current").isBlank()) {
                current = (int) number(e.getAttribute("current"), "vcpu current", 1, max);
            }
        }
        CpuSet online = CpuSet.range(0, current - 1);
        if (vcpusList.isPresent()) {
            List<Integer> enabled = new ArrayList<>();
            for (Element v : children(vcpusList.get(), "vcpu")) {
                int id = (int) number(v.getAttribute("id"), "vcpus vcpu id", 0, max - 1);
                if ("yes".equals(v.getAttribute("enabled"))) {
                    enabled.add(id);
                }
            }
            int[] ids = new int[enabled.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = enabled.get(i);
            }
            online = CpuSet.of(ids);
        }
        return new Domain.VcpuPlacement(placement, cpuset, online, vcpuScheds, iothreadScheds, emulatorSched);
    }

    private static Domain.ThreadSched sched(Element e, String idsAttr) {
        Optional<CpuSet> ids = idsAttr == null ? Optional.empty() : Optional.of(cpuList(e, idsAttr));
        String scheduler = requireAttr(e, "scheduler");
        if (!List.of("batch", "idle", "fifo", "rr").contains(scheduler)) {
            throw new DomainXmlException("invalid <" + e.getTagName() + " scheduler='" + printable(abbreviate(scheduler))
                    + "'>: libvirt knows batch, idle, fifo and rr");
        }
        OptionalInt priority = e.getAttribute("priority").isBlank() ? OptionalInt.empty()
                : OptionalInt.of((int) number(e.getAttribute("priority"), e.getTagName() + " priority", 0, 99));
        return new Domain.ThreadSched(ids, scheduler, priority);
    }

    private static List<Domain.Cell> cells(Element root) {
        List<Domain.Cell> cells = new ArrayList<>();
        Optional<Element> numa = child(child(root, "cpu"), "numa");
        if (numa.isEmpty()) {
            return cells;
        }
        java.util.Set<Integer> ids = new java.util.HashSet<>();
        for (Element cell : children(numa.get(), "cell")) {
            int id = cell.getAttribute("id").isBlank() ? cells.size() : (int) number(cell.getAttribute("id"), "numa cell id", 0, 16383);
            if (!ids.add(id)) {
                throw new DomainXmlException("duplicate <cell id='" + id + "'> in <cpu><numa>");
            }
            long bytes = sizeAttr(cell, "memory", "unit", "numa cell memory", "KiB");
            cells.add(new Domain.Cell(id, bytes));
        }
        return cells;
    }

    private static Domain.Dimm dimm(Element memory) {
        Optional<Element> target = child(memory, "target");
        Optional<Element> source = child(memory, "source");
        Optional<Element> sizeElement = child(target, "size");
        if (sizeElement.isEmpty()) {
            throw new DomainXmlException("<memory model='dimm'> lacks <target><size>");
        }
        long size = size(sizeElement.get(), "dimm target size", "KiB");
        Optional<Element> nodeElement = child(target, "node");
        OptionalInt node = nodeElement.isPresent()
                ? OptionalInt.of((int) number(nodeElement.get().getTextContent(), "dimm target node", 0, 16383)) : OptionalInt.empty();
        Optional<Element> pageSizeElement = child(source, "pagesize");
        OptionalLong pageSize = pageSizeElement.isPresent() ? OptionalLong.of(pageSize(size(pageSizeElement.get(), "dimm source pagesize",
                "KiB"), "<memory model='dimm'><source><pagesize>")) : OptionalLong.empty();
        Optional<Element> nodemaskElement = child(source, "nodemask");
        Optional<CpuSet> nodemask = nodemaskElement.isPresent()
                ? Optional.of(LibvirtCpuList.parse(nodemaskElement.get().getTextContent(), "<memory model='dimm'><source><nodemask>"))
                : Optional.empty();
        return new Domain.Dimm(size, node, pageSize, nodemask);
    }

    /** A libvirt CPU or node list attribute, its errors naming the element and attribute. */
    private static CpuSet cpuList(Element e, String attr) {
        return LibvirtCpuList.parse(requireAttr(e, attr), "<" + e.getTagName() + " " + attr + ">");
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
        Map<String, Integer> repeated = new java.util.HashMap<>();
        int elements = 0;
        for (Node n = hooks.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element feature) {
                if (++elements > MAX_HOOK_ELEMENTS) {
                    throw new DomainXmlException("more than " + MAX_HOOK_ELEMENTS + " elements inside <hooks>");
                }
                if (feature.getAttributes().getLength() > MAX_ATTRIBUTES) {
                    throw new DomainXmlException("<" + feature.getTagName() + "> inside <hooks> has more than " + MAX_ATTRIBUTES
                            + " attributes");
                }
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
                    Map<String, String> all = features.get(feature.getLocalName());
                    if (all == null) {
                        all = new LinkedHashMap<>();
                        features.put(feature.getLocalName(), all);
                    }
                    // Counted as they come: deriving the count from the keys made 16,000 scripts cost half a minute.
                    Integer before = repeated.get(feature.getLocalName());
                    int index = before == null ? 1 : before + 1;
                    repeated.put(feature.getLocalName(), index);
                    if (index > MAX_SCRIPTS) {
                        throw new DomainXmlException("more than " + MAX_SCRIPTS + " <" + feature.getLocalName() + "> elements in <hooks>");
                    }
                    for (Map.Entry<String, String> option : options.entrySet()) {
                        all.put(index + "." + option.getKey(), option.getValue());
                    }
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
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /** The child of an element that may be absent. */
    private static Optional<Element> child(Optional<Element> parent, String name) {
        return parent.isPresent() ? child(parent.get(), name) : Optional.empty();
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

    /** The element's text without surrounding blanks; empty when there is no element. */
    private static String text(Optional<Element> e) {
        return e.isPresent() ? e.get().getTextContent().strip() : "";
    }

    private static String oneLine(String s) {
        return s == null ? "unknown error" : s.replaceAll("\\s+", " ").strip();
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    /** Control characters from hostile XML must not break a one-line message. */
    static String printable(String s) {
        StringBuilder out = new StringBuilder();
        int shown = 0;
        for (int i = 0; i < s.length() && shown < 200; shown++) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                out.append(String.format("\\x%02x", c));
            } else {
                out.appendCodePoint(c);
            }
        }
        return out.toString();
    }
}
