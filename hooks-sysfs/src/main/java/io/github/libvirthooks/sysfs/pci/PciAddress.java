package io.github.libvirthooks.sysfs.pci;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A PCI function's address as sysfs names it, {@code 0000:01:00.0} (domain, bus, slot,
 * function, lowercase hex). Checked strictly because it becomes a path component below
 * {@code /sys/bus/pci/devices/} and a value written to {@code bind}/{@code unbind}.
 *
 * @param text the address in the kernel's form
 */
public record PciAddress(String text) implements Comparable<PciAddress> {
    private static final Pattern FORM = Pattern.compile("^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]$");

    /** Refuses anything that is not exactly the kernel's form. */
    public PciAddress {
        Objects.requireNonNull(text, "text");
        if (!FORM.matcher(text).matches()) {
            throw new IllegalArgumentException("invalid PCI address '" + printable(text)
                    + "': expected the kernel's form, such as 0000:01:00.0 (domain:bus:slot.function, lowercase hex)");
        }
    }

    /** Parses an address, accepting uppercase hex (lspci and users write both). */
    public static PciAddress parse(String text) {
        Objects.requireNonNull(text, "text");
        return new PciAddress(text.strip().toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * The address of libvirt's {@code <address domain= bus= slot= function=/>}.
     *
     * @throws IllegalArgumentException when a part is out of the PCI range
     */
    public static PciAddress of(int domain, int bus, int slot, int function) {
        if (domain < 0 || domain > 0xffff || bus < 0 || bus > 0xff || slot < 0 || slot > 0x1f || function < 0 || function > 7) {
            throw new IllegalArgumentException("PCI address out of range: domain 0-0xffff, bus 0-0xff, slot 0-0x1f, function 0-7;"
                    + " got " + domain + ":" + bus + ":" + slot + "." + function);
        }
        return new PciAddress(String.format("%04x:%02x:%02x.%x", domain, bus, slot, function));
    }

    /** The address without its function, {@code 0000:01:00}: functions of one slot are one card. */
    public String slot() {
        return text.substring(0, text.length() - 2);
    }

    /** The function number. */
    public int function() {
        return text.charAt(text.length() - 1) - '0';
    }

    /** True when the text has the kernel's form (for links and directory names read from sysfs). */
    public static boolean isValid(String text) {
        return text != null && FORM.matcher(text).matches();
    }

    @Override
    public int compareTo(PciAddress other) {
        return text.compareTo(other.text);
    }

    @Override
    public String toString() {
        return text;
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().limit(40).forEach(c -> out.append(c < 0x20 || c == 0x7f ? '?' : (char) c));
        return out.toString();
    }
}
