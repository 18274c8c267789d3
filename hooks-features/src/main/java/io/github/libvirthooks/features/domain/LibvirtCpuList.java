package io.github.libvirthooks.features.domain;

import io.github.libvirthooks.sysfs.cpu.CpuSet;

/**
 * libvirt's syntax for CPU and NUMA node lists in domain XML ({@code cpuset}, {@code nodeset},
 * {@code vcpus}, {@code iothreads}): numbers and ranges separated by commas, {@code ^N} (or
 * {@code ^N-M}) taking numbers out of what came before, whitespace around the parts ignored,
 * as libvirt's {@code virBitmapParse} reads them: {@code 0-5,^4} is {@code 0-3,5}. The kernel's
 * own list format (strides, no exclusions) is {@link CpuSet#parseList}, for kernel files.
 */
public final class LibvirtCpuList {
    private LibvirtCpuList() {
    }

    /**
     * Parses a libvirt CPU or node list.
     *
     * @param text  the attribute's value
     * @param where what holds it, for the message: {@code <vcpupin cpuset>}
     * @throws DomainXmlException naming {@code where} and the value for anything else, and for a list that
     *                            leaves no number (libvirt refuses empty cpusets too)
     */
    public static CpuSet parse(String text, String where) {
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            throw invalid(text, where, "it is empty");
        }
        CpuSet set = CpuSet.empty();
        for (String raw : trimmed.split(",", -1)) {
            String part = raw.strip();
            boolean exclude = part.startsWith("^");
            if (exclude) {
                part = part.substring(1).strip();
            }
            if (part.isEmpty()) {
                throw invalid(text, where, "an empty element");
            }
            CpuSet range = range(part, text, where);
            set = exclude ? set.difference(range) : set.union(range);
        }
        if (set.isEmpty()) {
            throw invalid(text, where, "it leaves no number");
        }
        return set;
    }

    private static CpuSet range(String part, String text, String where) {
        int dash = part.indexOf('-');
        if (dash < 0) {
            return CpuSet.of(number(part, text, where));
        }
        int from = number(part.substring(0, dash), text, where);
        int to = number(part.substring(dash + 1), text, where);
        if (from > to) {
            throw invalid(text, where, "the range '" + part + "' runs backwards");
        }
        return CpuSet.range(from, to);
    }

    private static int number(String digits, String text, String where) {
        String d = digits.strip();
        if (d.isEmpty() || d.length() > 5 || !d.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw invalid(text, where, "'" + DomainXmlParser.printable(d) + "' is not a number");
        }
        int n = Integer.parseInt(d);
        if (n > CpuSet.MAX_CPU) {
            throw invalid(text, where, n + " is above the kernel's limit " + CpuSet.MAX_CPU);
        }
        return n;
    }

    private static DomainXmlException invalid(String text, String where, String why) {
        return new DomainXmlException("invalid " + where + " '" + DomainXmlParser.printable(DomainXmlParser.abbreviate(text.strip()))
                + "': " + why + "; libvirt's syntax is numbers, ranges and ^exclusions separated by commas, such as 0-5,^4");
    }
}
