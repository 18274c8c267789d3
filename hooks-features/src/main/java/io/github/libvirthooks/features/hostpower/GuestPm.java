package io.github.libvirthooks.features.hostpower;

import io.github.libvirthooks.features.domain.DomainXmlException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Optional;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * The domain's {@code <pm>} element: whether the guest may suspend to RAM (S3) and to disk (S4).
 * libvirt refuses {@code dompmsuspend} only for {@code enabled='no'}, and QEMU's own default
 * depends on the machine type; virt-manager writes {@code no} for both. libvirt-hooks asks the
 * guest to suspend only where the XML says {@code yes}, so what happens is what the XML says.
 *
 * @param suspendToMem  {@code <suspend-to-mem enabled>}, empty when absent
 * @param suspendToDisk {@code <suspend-to-disk enabled>}, empty when absent
 */
public record GuestPm(Optional<Boolean> suspendToMem, Optional<Boolean> suspendToDisk) {
    /** No {@code <pm>} element. */
    public static final GuestPm UNSET = new GuestPm(Optional.empty(), Optional.empty());

    /** True when the XML enables S3 with {@code <pm><suspend-to-mem enabled='yes'/>}. */
    public boolean allowsSuspendToMem() {
        return suspendToMem.orElse(false);
    }

    /** True when the XML enables S4 with {@code <pm><suspend-to-disk enabled='yes'/>}. */
    public boolean allowsSuspendToDisk() {
        return suspendToDisk.orElse(false);
    }

    /**
     * Reads {@code <domain><pm>} from domain XML, with the same safety as the hook's parser (no
     * DTDs, no external entities).
     *
     * @throws DomainXmlException for malformed XML or an {@code enabled} that is not yes/no
     */
    public static GuestPm parse(byte[] xml) {
        Element root = document(xml).getDocumentElement();
        Optional<Element> pm = child(root, "pm");
        if (pm.isEmpty()) {
            return UNSET;
        }
        return new GuestPm(enabled(pm.get(), "suspend-to-mem"), enabled(pm.get(), "suspend-to-disk"));
    }

    private static Optional<Boolean> enabled(Element pm, String name) {
        Optional<Element> e = child(pm, name);
        if (e.isEmpty() || e.get().getAttribute("enabled").isEmpty()) {
            return Optional.empty();
        }
        return switch (e.get().getAttribute("enabled")) {
            case "yes" -> Optional.of(true);
            case "no" -> Optional.of(false);
            default -> throw new DomainXmlException("invalid <pm><" + name + " enabled='" + e.get().getAttribute("enabled")
                    + "'>: expected yes or no");
        };
    }

    private static Optional<Element> child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getNamespaceURI() == null && name.equals(e.getLocalName())) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    private static org.w3c.dom.Document document(byte[] bytes) {
        try {
            return io.github.libvirthooks.features.domain.SafeXml.builder().parse(new ByteArrayInputStream(bytes));
        } catch (SAXException | IOException e) {
            throw new DomainXmlException("malformed domain XML: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
        }
    }
}
