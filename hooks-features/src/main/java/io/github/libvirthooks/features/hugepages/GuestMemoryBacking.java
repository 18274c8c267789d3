package io.github.libvirthooks.features.hugepages;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import io.github.libvirthooks.sysfs.hugetlb.HugePagePool;
import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;
import io.github.libvirthooks.sysfs.memory.Meminfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The hugepage pools a VM's memory is mapped from, read the way libvirt builds QEMU's memory
 * backends ({@code qemuBuildMemoryBackendProps}): each guest NUMA cell (or the whole memory
 * without cells) gets the page size of the {@code <page>} whose {@code nodeset} holds the cell,
 * else of the {@code <page>} without {@code nodeset}, else, for a bare {@code <hugepages/>}, the
 * {@code size} the user configured, else the host's default hugepage size ({@code /proc/meminfo}
 * Hugepagesize); a page of the system page size means regular memory. A DIMM uses its own
 * {@code <source><pagesize>}, else its cell's. The host node of a cell is its
 * {@code <numatune><memnode>}, else {@code <numatune><memory nodeset>}, when it names one node;
 * otherwise the host-wide pool. With cells, the memory is the cells and DIMMs (libvirt rewrites
 * {@code <memory>} to them at define), not {@code <memory>}.
 *
 * @param pools what each pool must hold, in the order the XML names the memory
 * @param notes what a user may not expect (regular-memory cells, the size's origin, an un-normalized {@code <memory>})
 */
public record GuestMemoryBacking(List<PoolNeed> pools, List<String> notes) {
    /** Assumed when the host reports no default hugepage size (a fake or hugetlb-less host): x86-64's. */
    static final HugePageSize FALLBACK_DEFAULT = HugePageSize.TWO_MIB;
    /** What a VM without NUMA cells maps, for messages. */
    private static final String WHOLE = "the memory";

    public GuestMemoryBacking {
        pools = List.copyOf(pools);
        notes = List.copyOf(notes);
    }

    /**
     * What one pool must hold for the VM.
     *
     * @param pool  size and node
     * @param pages pages needed, each cell or DIMM rounded up to whole pages
     * @param bytes guest memory mapped from it
     * @param parts the cells and DIMMs mapped from it, for messages ({@code cell 0}, {@code DIMM 1}); empty without cells
     */
    public record PoolNeed(HugePagePool pool, long pages, long bytes, List<String> parts) {
        public PoolNeed {
            parts = List.copyOf(parts);
        }
    }

    /**
     * The host's default hugepage size, {@code Hugepagesize} of {@code /proc/meminfo} below the host root
     * (set by {@code default_hugepagesz=}); empty when the host reports none.
     */
    public static Optional<HugePageSize> hostDefault(HostRoot host) {
        try {
            if (!host.exists(Meminfo.PATH)) {
                return Optional.empty();
            }
            long bytes = Meminfo.read(host).hugepagesize();
            return bytes == 0 ? Optional.empty() : Optional.of(new HugePageSize(bytes));
        } catch (HostAccessException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * Computes the pools of a hugepage-backed VM.
     *
     * @param domain      the VM; {@code <memoryBacking><hugepages>} must be present
     * @param userSize    the {@code size} option, where the user set one: used for a bare {@code <hugepages/>}
     * @param hostDefault the host's default hugepage size, from {@link #hostDefault}
     * @throws FeatureException when the XML gives no memory to size the pools from
     */
    public static GuestMemoryBacking of(Domain domain, Optional<HugePageSize> userSize, Optional<HugePageSize> hostDefault) {
        Domain.HugePageBacking backing = domain.hugepages().orElseThrow();
        List<String> notes = new ArrayList<>();
        Optional<HugePageSize> bare = Optional.empty();
        if (backing.pages().isEmpty()) {
            if (userSize.isPresent()) {
                bare = userSize;
                notes.add("page size " + userSize.get() + " from the size option (a bare <hugepages/> names none)");
            } else if (hostDefault.isPresent()) {
                bare = hostDefault;
                notes.add("page size " + hostDefault.get() + ": the host's default hugepage size (/proc/meminfo Hugepagesize),"
                        + " which libvirt uses for a bare <hugepages/>");
            } else {
                bare = Optional.of(FALLBACK_DEFAULT);
                notes.add("the host reports no default hugepage size (/proc/meminfo Hugepagesize); assumed " + FALLBACK_DEFAULT);
            }
        }
        Domain.GuestNuma numa = domain.numa();
        Map<HugePagePool, Builder> pools = new LinkedHashMap<>();
        if (numa.cells().isEmpty()) {
            if (domain.memoryBytes() <= 0) {
                throw new FeatureException("the domain XML gives no <memory>; cannot tell how many hugepages to reserve");
            }
            Optional<HugePageSize> size = pageSize(backing, bare, 0);
            add(pools, size, hostNode(domain, 0), domain.memoryBytes(), WHOLE, notes);
        } else {
            for (Domain.Cell cell : numa.cells()) {
                add(pools, pageSize(backing, bare, cell.id()), hostNode(domain, cell.id()), cell.memoryBytes(), "cell " + cell.id(),
                        notes);
            }
            for (int i = 0; i < numa.dimms().size(); i++) {
                Domain.Dimm dimm = numa.dimms().get(i);
                int cell = dimm.guestNode().orElse(0);
                Optional<HugePageSize> size = dimm.pageSizeBytes().isPresent()
                        ? hugepage(dimm.pageSizeBytes().getAsLong()) : pageSize(backing, bare, cell);
                OptionalInt node = dimm.hostNodes().isPresent() ? single(dimm.hostNodes().get()) : hostNode(domain, cell);
                add(pools, size, node, dimm.sizeBytes(), "DIMM " + i, notes);
            }
            if (domain.memoryBytes() > 0 && domain.memoryBytes() != numa.bytes()) {
                notes.add("sized from the NUMA cells and DIMMs (" + mib(numa.bytes()) + "), not <memory> (" + mib(domain.memoryBytes())
                        + "): libvirt rewrites <memory> to them when the VM is defined");
            }
        }
        // Loops rather than streams on this path: each lambda is a call site a cold hook JVM bootstraps.
        List<PoolNeed> needs = new ArrayList<>();
        for (Builder pool : pools.values()) {
            needs.add(pool.build());
        }
        return new GuestMemoryBacking(needs, notes);
    }

    /** The page size QEMU maps guest cell {@code cell} with; empty for regular memory. */
    private static Optional<HugePageSize> pageSize(Domain.HugePageBacking backing, Optional<HugePageSize> bare, int cell) {
        if (backing.pages().isEmpty()) {
            return bare;
        }
        Optional<Domain.Page> page = backing.pages().stream().filter(p -> p.nodeset().map(n -> n.contains(cell)).orElse(false))
                .findFirst().or(() -> backing.pages().stream().filter(p -> p.nodeset().isEmpty()).findFirst());
        return page.flatMap(p -> hugepage(p.sizeBytes()));
    }

    private static Optional<HugePageSize> hugepage(long bytes) {
        // The parser lets through only the system page size and real hugepage sizes.
        return bytes == DomainXmlParser.SYSTEM_PAGE_BYTES ? Optional.empty() : Optional.of(new HugePageSize(bytes));
    }

    /** The host node of guest cell {@code cell}: its memnode, else the VM's nodeset, when it names one node. */
    private static OptionalInt hostNode(Domain domain, int cell) {
        CpuSet memnode = domain.numa().memnodes().get(cell);
        if (memnode != null) {
            return single(memnode);
        }
        if (domain.numa().memoryPlacementAuto()) {
            return OptionalInt.empty();
        }
        Optional<CpuSet> nodes = domain.numaMemoryNodes();
        return nodes.isPresent() ? single(nodes.get()) : OptionalInt.empty();
    }

    private static OptionalInt single(CpuSet nodes) {
        return nodes.size() == 1 ? OptionalInt.of(nodes.stream().findFirst().getAsInt()) : OptionalInt.empty();
    }

    private static void add(Map<HugePagePool, Builder> pools, Optional<HugePageSize> size, OptionalInt node, long bytes, String part,
            List<String> notes) {
        if (size.isEmpty()) {
            notes.add(part + " (" + mib(bytes) + ") is regular memory: "
                    + "no <page> names it, or its <page> is the system page size");
            return;
        }
        HugePagePool pool = new HugePagePool(size.get(), node);
        Builder builder = pools.get(pool);
        if (builder == null) {
            builder = new Builder(pool);
            pools.put(pool, builder);
        }
        builder.add(bytes, part.equals(WHOLE) ? List.of() : List.of(part));
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }

    private static final class Builder {
        final HugePagePool pool;
        long pages;
        long bytes;
        final List<String> parts = new ArrayList<>();

        Builder(HugePagePool pool) {
            this.pool = pool;
        }

        void add(long more, List<String> part) {
            long size = pool.size().bytes();
            try {
                pages = Math.addExact(pages, more / size + (more % size == 0 ? 0 : 1));
                bytes = Math.addExact(bytes, more);
            } catch (ArithmeticException e) {
                throw new FeatureException("the VM's memory in " + pool + " adds up to more than this program can count");
            }
            parts.addAll(part);
        }

        PoolNeed build() {
            return new PoolNeed(pool, pages, bytes, parts);
        }
    }
}
