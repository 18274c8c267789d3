package io.github.libvirthooks.features.hugepages;

import io.github.libvirthooks.features.config.Durations;
import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.engine.ClaimingFeature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.FeatureSpec;
import io.github.libvirthooks.features.engine.SpecifiedFeature;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.sysfs.hugetlb.HugePageCounters;
import io.github.libvirthooks.sysfs.hugetlb.HugePagePool;
import io.github.libvirthooks.sysfs.hugetlb.HugePageRelease;
import io.github.libvirthooks.sysfs.hugetlb.HugePageReservation;
import io.github.libvirthooks.sysfs.hugetlb.HugePageShortfallException;
import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;
import io.github.libvirthooks.sysfs.hugetlb.HugePages;
import io.github.libvirthooks.sysfs.memory.Meminfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code hugepages}: before QEMU starts, reserve the static hugepages a hugepage-backed VM
 * needs on top of the free pages nobody else has claimed; at release, give back exactly the
 * pages this VM added, never pages in use.
 *
 * <p>The pools come from {@link GuestMemoryBacking}: one per page size and host node the VM's
 * guest NUMA cells and DIMMs use.
 *
 * <p>Options: {@code size} (page size for a bare {@code <hugepages/>}: {@code host}, the default,
 * for the host's default hugepage size, {@code /proc/meminfo} Hugepagesize, as libvirt uses, or
 * {@code 2M}, {@code 1G}, ...; a {@code <page size>} in the XML always wins) and
 * {@code timeout} (how long to drop caches, compact and retry on a shortfall, default 10s).
 */
public final class HugepagesFeature implements ClaimingFeature<HugepagesClaim>, SpecifiedFeature {
    public static final String NAME = "hugepages";
    /** What this feature is: its events and options (the README's table is checked against it). */
    public static final FeatureSpec SPEC = FeatureSpec.named(NAME, "reserve hugepages for the VM's memory before QEMU starts")
            .at(HookOperation.PREPARE)
            .option("size", "`host` (`hugepages.default-size`)")
            .option("timeout", "`10s` (`hugepages.timeout`)")
            .build();
    static final Set<String> OPTIONS = SPEC.optionNames();
    /** {@code size="host"}: the host's default hugepage size, {@code /proc/meminfo} Hugepagesize (the built-in default). */
    static final String HOST_SIZE = "host";

    @Override
    public FeatureSpec spec() {
        return SPEC;
    }

    @Override
    public ClaimCodec<HugepagesClaim> claimCodec() {
        return HugepagesClaim.CODEC;
    }

    @Override
    public void apply(FeatureContext context) {
        validate(context.options());
        if (context.domain().hugepages().isEmpty()) {
            context.effect("pools", List.of());
            context.report().accept("skip   hugepages: " + context.domain().name() + " is not hugepage-backed");
            return;
        }
        GuestMemoryBacking backing = backing(context);
        List<Object> shown = new ArrayList<>();
        for (GuestMemoryBacking.PoolNeed pool : backing.pools()) {
            shown.add(shown(pool));
        }
        context.effect("pools", List.copyOf(shown));
        for (String note : backing.notes()) {
            context.report().accept("info   hugepages: " + note);
        }
        if (backing.pools().isEmpty()) {
            context.report().accept("skip   hugepages: libvirt maps all of " + context.domain().name() + "'s memory from regular pages");
        }
        for (GuestMemoryBacking.PoolNeed pool : backing.pools()) {
            reserve(context, new Need(pool.pool(), pool.pages(), pool.bytes()));
        }
    }

    /** Makes one pool hold what the VM needs from it, claimed so that release gives back exactly what was added. */
    private void reserve(FeatureContext context, Need need) {
        HugePages pages = new HugePages(context.claimedHost());
        long available = available(pages, need.pool, othersNeed(context, need.pool));
        long missing = Math.max(0, need.pages - available);
        if (missing > 0) {
            refuseWhatMemoryCannotHold(context, need, missing);
        }
        HugepagesClaim claim = HugepagesClaim.reserving(need.pool, need.pages, missing, pages.nrHugepages(need.pool));
        // Recorded before the write: after a crash mid-reservation, release knows the pool's size before it
        // and gives back at most what was added since, never pages in use.
        context.claim(HugepagesClaim.CODEC, claim);
        if (missing == 0) {
            context.report().accept("claim  hugepages: " + need.pages + " x " + need.pool + " already free, none added");
            return;
        }
        HugePageReservation reservation;
        try {
            reservation = pages.reserveOrThrow(need.pool, missing, timeout(context.options()));
        } catch (HugePageShortfallException e) {
            long kept = e.reservation().granted() - e.rollback().map(r -> r.released()).orElse(0L);
            context.updateClaim(HugepagesClaim.CODEC, claim.held(Math.max(0, kept)));
            throw new FeatureException(e.getMessage() + ". " + HINT, e);
        } catch (RuntimeException e) {
            // Claim only what really went into the pool, so that rollback never takes another VM's pages.
            context.updateClaim(HugepagesClaim.CODEC, claim.held(claim.outstanding(pages.nrHugepages(need.pool))));
            throw e;
        }
        context.updateClaim(HugepagesClaim.CODEC, claim.held(reservation.granted()));
        context.report().accept("change hugepages: " + reservation.change().path() + " = " + reservation.change().after()
                + " (was " + reservation.change().before() + "), " + reservation.granted() + " pages added for "
                + context.domain().name() + (reservation.reclaimRounds() == 0 ? ""
                : " after " + reservation.reclaimRounds() + " round(s) of dropping caches and compacting memory"));
    }

    @Override
    public void undo(HugepagesClaim claim, FeatureContext context) {
        HugePagePool pool = claim.pool();
        HugePages pages = new HugePages(context.claimedHost());
        long nrNow = pages.nrHugepages(pool);
        long added = claim.outstanding(nrNow);
        if (added == 0) {
            context.report().accept("undo   hugepages: " + context.invocation().vmName() + " has no " + pool + " left to give back");
            return;
        }
        // Recorded before the write, so that an undo after a crash knows what was already given back.
        context.updateClaim(HugepagesClaim.CODEC, claim.releasing(added, nrNow));
        // Never below what the other VMs' claims still need, even if their QEMU has not mapped it yet. A damaged
        // journal's claims are unknown: this VM still gives back only the pages its own claim added, and the
        // kernel keeps every page in use.
        long promised = needed(context.readableOtherClaims(HugepagesClaim.CODEC, HugepagesClaim.resource(pool)));
        long releasable = Math.min(added, available(pages, pool, promised));
        HugePageRelease release = pages.release(pool, releasable);
        context.report().accept("undo   hugepages: " + release.change().path() + " = " + release.change().after()
                + " (was " + release.change().before() + "), " + release.released() + " of " + added + " pages given back");
        if (!context.damagedJournals().isEmpty()) {
            context.report().accept("info   hugepages: gave back only the pages " + context.invocation().vmName()
                    + "'s own claim added; pages another VM may have been promised are unknown while the journal "
                    + context.damagedJournals().get(0).shownFile() + " cannot be read");
        }
        if (release.released() < added) {
            context.updateClaim(HugepagesClaim.CODEC, claim.held(added - release.released()));
            throw new FeatureException("only " + release.released() + " of the " + added + " pages (" + pool
                    + ") this VM added could be given back; the rest are in use or promised to other VMs,"
                    + " run 'libvirt-hooks restore' once they are free");
        }
    }

    /**
     * Asking the kernel for more pages than there is memory would only push the host into
     * reclaim and swap before failing anyway: refuse before writing anything.
     */
    private static void refuseWhatMemoryCannotHold(FeatureContext context, Need need, long missing) {
        if (!context.claimedHost().exists("/proc/meminfo")) {
            return;
        }
        Meminfo meminfo = Meminfo.read(context.claimedHost());
        long missingBytes = need.pool.size().bytesOf(missing);
        if (missingBytes > meminfo.memAvailable()) {
            throw new FeatureException("hugepages: need " + missing + " more x " + need.pool + " (" + (missingBytes >> 20)
                    + " MiB) for " + context.domain().name() + ", but only " + (meminfo.memAvailable() >> 20)
                    + " MiB of memory is available; give the VM less memory, close programs, or reserve at boot (hugepagesz="
                    + need.pool.size().bootParameter() + " hugepages=" + need.pages + " on the kernel command line)");
        }
    }

    private static final String HINT = "If QEMU later fails with 'unable to map backing store', the pages are still short;"
            + " 'hugetlbfs filesystem is not mounted' means libvirtd started before /dev/hugepages was mounted: mount it and restart libvirtd";

    private record Need(HugePagePool pool, long pages, long bytes) {
    }

    /** As {@code plan --json} shows a pool: {@code sizeKiB}, {@code node} (null for the global pool), {@code pages}. */
    private static Map<String, Object> shown(GuestMemoryBacking.PoolNeed need) {
        Map<String, Object> shown = new java.util.LinkedHashMap<>();
        shown.put("sizeKiB", need.pool().size().bytes() >> 10);
        shown.put("node", need.pool().node().isPresent() ? need.pool().node().getAsInt() : null);
        shown.put("pages", need.pages());
        return shown;
    }

    /** The pools the VM's memory is mapped from: the XML's page sizes, else the size option, else the host's default. */
    private static GuestMemoryBacking backing(FeatureContext context) {
        String size = context.options().get("size");
        Optional<HugePageSize> userSize = size == null || size.strip().equals(HOST_SIZE) ? Optional.empty() : Optional.of(size(size));
        return GuestMemoryBacking.of(context.domain(), userSize, GuestMemoryBacking.hostDefault(context.host()));
    }

    private static HugePageSize size(String text) {
        try {
            return HugePageSize.parse(text);
        } catch (IllegalArgumentException e) {
            throw new FeatureException("invalid size '" + text + "': " + e.getMessage());
        }
    }

    /**
     * Pages of the pool nobody else will use. The kernel counts a page as used or promised
     * ({@code nr - free + resv}) only once QEMU maps it, but another VM's claim is a promise
     * from its {@code prepare} on. So what is left is {@code nr - max(used, claimed by others)}:
     * exact while no other program uses hugepages, and never more than the kernel's own
     * {@code free - resv}.
     */
    static long available(HugePages pages, HugePagePool pool, long othersNeed) {
        HugePageCounters counters = pages.counters(pool.size());
        long used = counters.nrHugepages() - counters.freeHugepages() + counters.resvHugepages();
        long available = counters.nrHugepages() - Math.max(used, othersNeed);
        if (pool.node().isPresent()) {
            var node = pages.nodeCounters(pool.size(), pool.node().getAsInt());
            available = Math.min(available, node.freeHugepages());
        }
        return Math.max(0, available);
    }

    /**
     * What the other VMs' claims on this pool will use once their QEMU runs.
     *
     * @throws io.github.libvirthooks.features.engine.DamagedJournalException when another VM's journal cannot be read
     */
    private static long othersNeed(FeatureContext context, HugePagePool pool) {
        return needed(context.otherClaims(HugepagesClaim.CODEC, HugepagesClaim.resource(pool)));
    }

    /** The pages the claims need, together (a loop: streams cost a cold hook JVM their lambdas' bootstraps). */
    private static long needed(List<HugepagesClaim> claims) {
        long needed = 0;
        for (HugepagesClaim claim : claims) {
            needed += claim.needed();
        }
        return needed;
    }

    private static Duration timeout(Map<String, String> options) {
        return Durations.option("hugepages timeout", options.getOrDefault("timeout", "10s"), Duration.ZERO, Duration.ofMinutes(10), "");
    }

    private static void validate(Map<String, String> options) {
        List<String> unknown = new ArrayList<>(options.keySet());
        unknown.removeAll(OPTIONS);
        if (!unknown.isEmpty()) {
            throw new FeatureException("unknown option '" + unknown.get(0) + "'; hugepages takes: size, timeout");
        }
        if (options.containsKey("size") && !options.get("size").strip().equals(HOST_SIZE)) {
            size(options.get("size"));
        }
        timeout(options);
    }
}
