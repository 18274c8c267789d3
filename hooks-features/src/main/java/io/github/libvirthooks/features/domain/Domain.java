package io.github.libvirthooks.features.domain;

import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * What a hook needs from libvirt's domain XML, parsed once. CPU and node lists are read with
 * libvirt's syntax ({@link LibvirtCpuList}); sizes are bytes.
 *
 * @param name              domain name
 * @param uuid              domain uuid, empty when absent
 * @param memoryBytes       {@code <memory>} in bytes, as written (libvirt rewrites it to the NUMA cells + DIMMs at define)
 * @param hugepages         {@code <memoryBacking><hugepages>}: empty when the VM is not hugepage-backed
 * @param vcpus             {@code <vcpu>} count: the most vCPUs the VM can have
 * @param vcpuPins          {@code <cputune><vcpupin>}: vcpu index to host CPUs
 * @param emulatorPin       {@code <emulatorpin cpuset>}, empty when absent
 * @param iothreadPins      {@code <iothreadpin>}: iothread id to host CPUs
 * @param numaMemoryNodes   {@code <numatune><memory nodeset>}, empty when absent
 * @param hasHostDevices    true when a {@code <hostdev>} is passed through
 * @param networks          libvirt network names of {@code <interface type='network'>}
 * @param hasGuestAgent     true when the {@code org.qemu.guest_agent.0} channel is present
 * @param hooksConfig       our metadata element: feature name to its attributes, in document order
 * @param vcpuPlacement     the rest of {@code <vcpu>}, {@code <vcpus>} and the schedulers of {@code <cputune>}
 * @param numa              guest NUMA cells, DIMMs and {@code <numatune>} beyond {@code <memory nodeset>}
 * @param pciHostdevs       the host PCI functions of {@code <hostdev mode='subsystem' type='pci'>}, in document order
 * @param shmems            the {@code <shmem>} devices (IVSHMEM), in document order
 * @param usbHostdevs       the host USB devices of {@code <hostdev mode='subsystem' type='usb'>}, in document order
 */
public record Domain(
        String name,
        String uuid,
        long memoryBytes,
        Optional<HugePageBacking> hugepages,
        int vcpus,
        Map<Integer, CpuSet> vcpuPins,
        Optional<CpuSet> emulatorPin,
        Map<Integer, CpuSet> iothreadPins,
        Optional<CpuSet> numaMemoryNodes,
        boolean hasHostDevices,
        List<String> networks,
        boolean hasGuestAgent,
        Map<String, Map<String, String>> hooksConfig,
        VcpuPlacement vcpuPlacement,
        GuestNuma numa,
        List<PciHostdev> pciHostdevs,
        List<Shmem> shmems,
        List<UsbHostdev> usbHostdevs) {

    public Domain {
        pciHostdevs = List.copyOf(pciHostdevs);
        shmems = List.copyOf(shmems);
        usbHostdevs = List.copyOf(usbHostdevs);
        vcpuPins = Map.copyOf(vcpuPins);
        iothreadPins = Map.copyOf(iothreadPins);
        networks = List.copyOf(networks);
        hooksConfig = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(hooksConfig));
    }

    /**
     * The host CPUs libvirt pins vCPU {@code vcpu} to: its {@code <vcpupin>}, else
     * {@code <vcpu cpuset>} (libvirt pins every vCPU without a pin there); empty when the vCPU
     * floats over every CPU or numad places it ({@code placement='auto'}).
     */
    public Optional<CpuSet> vcpuCpus(int vcpu) {
        CpuSet pin = vcpuPins.get(vcpu);
        if (pin != null) {
            return Optional.of(pin);
        }
        return vcpuPlacement.auto() ? Optional.empty() : vcpuPlacement.cpuset();
    }

    /** {@code <vcpu placement>}: who decides where the vCPUs run. */
    public enum Placement {
        /** The XML's pins and {@code cpuset} (libvirt's default). */
        STATIC,
        /** numad, when the VM starts: unknown before. */
        AUTO
    }

    /**
     * The VM's vCPUs beyond their count.
     *
     * @param placement      {@code <vcpu placement>}
     * @param cpuset         {@code <vcpu cpuset>}: where vCPUs without a {@code <vcpupin>} (and the emulator) run
     * @param online         the vCPUs online when QEMU starts: {@code <vcpus><vcpu enabled='yes'>}, else the first
     *                       {@code <vcpu current>} ones
     * @param vcpuScheds     {@code <cputune><vcpusched>}
     * @param iothreadScheds {@code <cputune><iothreadsched>}
     * @param emulatorSched  {@code <cputune><emulatorsched>}
     */
    public record VcpuPlacement(Placement placement, Optional<CpuSet> cpuset, CpuSet online, List<ThreadSched> vcpuScheds,
            List<ThreadSched> iothreadScheds, Optional<ThreadSched> emulatorSched) {
        public VcpuPlacement {
            vcpuScheds = List.copyOf(vcpuScheds);
            iothreadScheds = List.copyOf(iothreadScheds);
        }

        /** {@code count} static vCPUs, all online, no cpuset and no schedulers. */
        public static VcpuPlacement staticAll(int count) {
            return new VcpuPlacement(Placement.STATIC, Optional.empty(), CpuSet.range(0, count - 1), List.of(), List.of(),
                    Optional.empty());
        }

        public boolean auto() {
            return placement == Placement.AUTO;
        }
    }

    /**
     * One {@code <vcpusched>}, {@code <iothreadsched>} or {@code <emulatorsched>}.
     *
     * @param ids       the vCPUs or IOThreads it names ({@code vcpus}, {@code iothreads}); empty for the emulator
     * @param scheduler libvirt's word: {@code batch}, {@code idle}, {@code fifo}, {@code rr}
     * @param priority  for {@code fifo} and {@code rr}
     */
    public record ThreadSched(Optional<CpuSet> ids, String scheduler, OptionalInt priority) {
        /** For messages: {@code fifo priority 1}. */
        public String describe() {
            return scheduler + (priority.isPresent() ? " priority " + priority.getAsInt() : "");
        }
    }

    /**
     * The guest's NUMA layout as QEMU gets it.
     *
     * @param cells               {@code <cpu><numa><cell>}, in document order
     * @param dimms               {@code <devices><memory model='dimm'>}
     * @param memnodes            {@code <numatune><memnode cellid nodeset>}: guest cell to host nodes
     * @param memoryPlacementAuto {@code <numatune><memory placement='auto'>}: numad picks the host nodes at start
     */
    public record GuestNuma(List<Cell> cells, List<Dimm> dimms, Map<Integer, CpuSet> memnodes, boolean memoryPlacementAuto) {
        public static final GuestNuma NONE = new GuestNuma(List.of(), List.of(), Map.of(), false);

        public GuestNuma {
            cells = List.copyOf(cells);
            dimms = List.copyOf(dimms);
            memnodes = Map.copyOf(memnodes);
        }

        /** What the cells and DIMMs add up to: the guest's memory once libvirt has normalized it. */
        public long bytes() {
            return cells.stream().mapToLong(Cell::memoryBytes).sum() + dimms.stream().mapToLong(Dimm::sizeBytes).sum();
        }
    }

    /**
     * One guest NUMA cell.
     *
     * @param id          {@code id} (its position when absent)
     * @param memoryBytes {@code memory}
     */
    public record Cell(int id, long memoryBytes) {
    }

    /**
     * One memory DIMM ({@code <memory model='dimm'>}).
     *
     * @param sizeBytes     {@code <target><size>}
     * @param guestNode     {@code <target><node>}: the guest cell it plugs into
     * @param pageSizeBytes {@code <source><pagesize>}: its own page size, else the cell's
     * @param hostNodes     {@code <source><nodemask>}: host nodes its memory comes from, else the cell's
     */
    public record Dimm(long sizeBytes, OptionalInt guestNode, OptionalLong pageSizeBytes, Optional<CpuSet> hostNodes) {
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
     * @param sizeBytes page size in bytes; the system page size (4 KiB) means regular memory
     * @param nodeset   guest NUMA cells it applies to, empty for all
     */
    public record Page(long sizeBytes, Optional<CpuSet> nodeset) {
    }

    /**
     * A host PCI function passed to the guest.
     *
     * @param address the host function, from {@code <source><address>}
     * @param managed {@code managed='yes'}: libvirt binds it to {@code vfio-pci} at start and gives it back at stop
     */
    public record PciHostdev(io.github.libvirthooks.sysfs.pci.PciAddress address, boolean managed) {
    }

    /**
     * One {@code <shmem name='looking-glass'><model type='ivshmem-plain'/><size unit='M'>32</size></shmem>}.
     *
     * @param name      the name, which is also the file under {@code /dev/shm} QEMU maps
     * @param model     {@code ivshmem-plain}, {@code ivshmem-doorbell} or {@code ivshmem}; empty when not given
     * @param sizeBytes the size in bytes; empty when not given (libvirt then lets QEMU choose, 4 MiB)
     */
    public record Shmem(String name, String model, OptionalLong sizeBytes) {
    }

    /**
     * A host USB device passed to the guest, named as libvirt names it: by {@code <vendor id>}
     * and {@code <product id>}, by {@code <address bus device>}, or both (libvirt then wants both to match).
     */
    public record UsbHostdev(java.util.OptionalInt vendor, java.util.OptionalInt product, java.util.OptionalInt bus,
            java.util.OptionalInt device) {
        /** {@code 046d:c52b}, {@code bus 1 device 5}, or both, as lines name it. */
        public String describe() {
            String ids = vendor.isPresent() ? String.format("%04x:", vendor.getAsInt())
                    + (product.isPresent() ? String.format("%04x", product.getAsInt()) : "*") : "";
            String address = bus.isPresent() && device.isPresent() ? "bus " + bus.getAsInt() + " device " + device.getAsInt() : "";
            return ids.isEmpty() ? address : address.isEmpty() ? ids : ids + " at " + address;
        }
    }
}
