package io.github.libvirthooks.features.hugepages;

import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.sysfs.hugetlb.HugePagePool;
import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One VM's share of one hugepage pool: what its memory needs from the pool, and the pages it
 * added to the pool for that, with how far taking or giving them back got (a crash may stop
 * either half-way).
 *
 * @param pool   the pool (page size, and node or the host-wide pool)
 * @param needed the pages the VM's memory uses from the pool; other VMs never take them
 * @param added  the pages this VM added to the pool and gives back at release
 * @param base   the pool's {@code nr_hugepages} before this VM added any
 * @param phase  how far taking or giving back got
 * @param from   the pool's {@code nr_hugepages} when giving back began; only while {@link Phase#RELEASING}, else 0
 */
public record HugepagesClaim(HugePagePool pool, long needed, long added, long base, Phase phase, long from) {
    /** How this claim is kept in the journal. */
    public static final ClaimCodec<HugepagesClaim> CODEC = new Codec();

    /** How far taking or giving back the pages got. */
    public enum Phase {
        /** Recorded before the pool grows: only what it grew by since {@code base} can be this VM's. */
        RESERVING,
        /** {@code added} is exactly what this VM holds. */
        HELD,
        /** Recorded before the pool shrinks: what it shrank by since {@code from} is already given back. */
        RELEASING;

        /** The journal's word: {@code reserving}, {@code held}, {@code releasing}. */
        String word() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Phase of(String word) {
            for (Phase p : values()) {
                if (p.word().equals(word)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("claim value phase='" + word + "' is none of reserving, held, releasing");
        }
    }

    public HugepagesClaim {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(phase, "phase");
        if (needed < 0 || added < 0 || base < 0 || from < 0) {
            throw new IllegalArgumentException("claim values are page counts, never negative: needed=" + needed + " added=" + added
                    + " base=" + base + " from=" + from);
        }
        if (phase != Phase.RELEASING && from != 0) {
            throw new IllegalArgumentException("claim value from=" + from + " belongs to the releasing phase, not " + phase.word());
        }
    }

    /** A claim recorded before the pool grows by {@code added} pages from {@code base}; held at once when nothing is added. */
    static HugepagesClaim reserving(HugePagePool pool, long needed, long added, long base) {
        return new HugepagesClaim(pool, needed, added, base, added == 0 ? Phase.HELD : Phase.RESERVING, 0);
    }

    /** This claim once exactly {@code pages} are this VM's. */
    HugepagesClaim held(long pages) {
        return new HugepagesClaim(pool, needed, pages, base, Phase.HELD, 0);
    }

    /** This claim about to give back {@code pages} from a pool of {@code nrNow} pages. */
    HugepagesClaim releasing(long pages, long nrNow) {
        return new HugepagesClaim(pool, needed, pages, base, Phase.RELEASING, nrNow);
    }

    /**
     * The pages still to give back, for a pool that holds {@code nrNow} pages: {@code added}
     * once held; after a crash mid-reservation, only what the pool grew by since {@code base};
     * after a crash mid-release, less what the pool shrank by since {@code from}.
     */
    long outstanding(long nrNow) {
        return switch (phase) {
            case HELD -> added;
            case RESERVING -> Math.max(0, Math.min(added, nrNow - base));
            case RELEASING -> Math.max(0, added - Math.max(0, from - nrNow));
        };
    }

    /** The journal's resource name of a pool: {@code hugepages-2048kB}, or {@code hugepages-2048kB:node0} on a node. */
    static String resource(HugePagePool pool) {
        return pool.size().directoryName() + (pool.node().isPresent() ? ":node" + pool.node().getAsInt() : "");
    }

    static HugePagePool pool(String resource) {
        // indexOf, not split(":node", 2): a split on more than one character compiles a regex.
        int node = resource.indexOf(":node");
        String[] parts = node < 0 ? new String[] {resource}
                : new String[] {resource.substring(0, node), resource.substring(node + ":node".length())};
        try {
            HugePageSize size = HugePageSize.parseDirectoryName(parts[0]);
            return parts.length == 2 ? HugePagePool.onNode(size, Integer.parseInt(parts[1])) : HugePagePool.global(size);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("claim resource '" + resource + "' is no hugepage pool (hugepages-2048kB or"
                    + " hugepages-2048kB:node0): " + e.getMessage(), e);
        }
    }

    /**
     * Journal keys, as 0.1.0 writes them: {@code needed}, {@code added}, {@code base},
     * {@code phase} ({@code reserving}, {@code held}, {@code releasing}) and, while releasing,
     * {@code from}. A claim without {@code phase} (written before phases existed) is held.
     */
    private static final class Codec implements ClaimCodec<HugepagesClaim> {
        @Override
        public String feature() {
            return HugepagesFeature.NAME;
        }

        @Override
        public String resource(HugepagesClaim claim) {
            return HugepagesClaim.resource(claim.pool());
        }

        @Override
        public Map<String, String> encode(HugepagesClaim claim) {
            Map<String, String> values = new LinkedHashMap<>();
            values.put("needed", Long.toString(claim.needed()));
            values.put("added", Long.toString(claim.added()));
            values.put("base", Long.toString(claim.base()));
            values.put("phase", claim.phase().word());
            if (claim.phase() == Phase.RELEASING) {
                values.put("from", Long.toString(claim.from()));
            }
            return values;
        }

        @Override
        public HugepagesClaim decode(String resource, Map<String, String> values) {
            Phase phase = values.containsKey("phase") ? Phase.of(values.get("phase")) : Phase.HELD;
            long base = phase == Phase.RESERVING ? ClaimCodec.number(values, "base") : ClaimCodec.number(values, "base", 0);
            long from = phase == Phase.RELEASING ? ClaimCodec.number(values, "from") : 0;
            return new HugepagesClaim(pool(resource), ClaimCodec.number(values, "needed"), ClaimCodec.number(values, "added"), base,
                    phase, from);
        }

        @Override
        public Map<String, String> describe(HugepagesClaim claim) {
            Map<String, String> shown = new LinkedHashMap<>();
            shown.put("pool size", claim.pool().size().toString());
            shown.put("node", claim.pool().node().isPresent() ? Integer.toString(claim.pool().node().getAsInt()) : "any");
            shown.put("pages needed", Long.toString(claim.needed()));
            shown.put("pages added", Long.toString(claim.added()));
            shown.put("phase", claim.phase().word());
            return shown;
        }
    }
}
