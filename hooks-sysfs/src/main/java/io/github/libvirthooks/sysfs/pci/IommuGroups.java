package io.github.libvirthooks.sysfs.pci;

import io.github.libvirthooks.sysfs.HostRoot;
import java.util.List;
import java.util.Objects;

/**
 * {@code /sys/kernel/iommu_groups/N/devices}: the PCI functions the IOMMU cannot tell apart.
 * VFIO hands a guest a whole group or nothing: every member must be bound to {@code vfio-pci}
 * or to no driver (bridges excepted).
 */
public final class IommuGroups {
    /** Where the kernel lists the groups; empty or absent when the IOMMU is off. */
    public static final String GROUPS = "/sys/kernel/iommu_groups";

    private final HostRoot host;

    public IommuGroups(HostRoot host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    /** True when the IOMMU is on: the kernel made at least one group. */
    public boolean enabled() {
        return host.isDirectory(GROUPS) && host.list(GROUPS).stream().anyMatch(n -> n.matches("[0-9]{1,6}"));
    }

    /** How many groups the kernel made. */
    public int count() {
        return host.isDirectory(GROUPS) ? (int) host.list(GROUPS).stream().filter(n -> n.matches("[0-9]{1,6}")).count() : 0;
    }

    /** The functions in group {@code group}, sorted; empty when there is no such group. */
    public List<PciAddress> devices(int group) {
        if (group < 0) {
            throw new IllegalArgumentException("invalid IOMMU group " + group);
        }
        String dir = GROUPS + "/" + group + "/devices";
        if (!host.isDirectory(dir)) {
            return List.of();
        }
        return host.list(dir).stream().filter(PciAddress::isValid).map(PciAddress::new).sorted().toList();
    }
}
