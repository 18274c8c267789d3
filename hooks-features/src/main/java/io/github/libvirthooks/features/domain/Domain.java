package io.github.libvirthooks.features.domain;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a hook needs from libvirt's domain XML, parsed once.
 *
 * @param name              domain name
 * @param uuid              domain uuid, empty when absent
 * @param memoryBytes       {@code <memory>} (or {@code <currentMemory>} when larger is absent) in bytes
 * @param hugepages         {@code <memoryBacking><hugepages>}: empty when the VM is not hugepage-backed
 * @param vcpus             {@code <vcpu>} count
 * @param vcpuPins          {@code <cputune><vcpupin>}: vcpu index to host cpu list text
 * @param emulatorPin       {@code <emulatorpin cpuset>}, empty when absent
 * @param iothreadPins      {@code <iothreadpin>}: iothread id to host cpu list text
 * @param numaMemoryNodes   {@code <numatune><memory nodeset>}, empty when absent
 * @param hasHostDevices    true when a {@code <hostdev>} is passed through
 * @param networks          libvirt network names of {@code <interface type='network'>}
 * @param hasGuestAgent     true when the {@code org.qemu.guest_agent.0} channel is present
 * @param hooksConfig       our metadata element: feature name to its attributes, in document order
 */
public record Domain(
        String name,
        String uuid,
        long memoryBytes,
        Optional<HugePageBacking> hugepages,
        int vcpus,
        Map<Integer, String> vcpuPins,
        Optional<String> emulatorPin,
        Map<Integer, String> iothreadPins,
        Optional<String> numaMemoryNodes,
        boolean hasHostDevices,
        List<String> networks,
        boolean hasGuestAgent,
        Map<String, Map<String, String>> hooksConfig) {

    public Domain {
        vcpuPins = Map.copyOf(vcpuPins);
        iothreadPins = Map.copyOf(iothreadPins);
        networks = List.copyOf(networks);
        hooksConfig = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(hooksConfig));
    }

    /**
     * {@code <memoryBacking><hugepages>}: the page sizes the XML asks for.
     *
     * @param pages one entry per {@code <page>}; empty means the host's default size
     */
    public record HugePageBacking(List<Page> pages) {
        public HugePageBacking {
            pages = List.copyOf(pages);
        }
    }

    /**
     * One {@code <page size unit nodeset>}.
     *
     * @param sizeBytes page size in bytes
     * @param nodeset   guest NUMA nodes it applies to, empty for all
     */
    public record Page(long sizeBytes, Optional<String> nodeset) {
    }
}
