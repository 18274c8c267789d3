package io.github.libvirthooks.features.reliability;

import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.engine.ClaimingFeature;
import io.github.libvirthooks.features.engine.Feature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.hugepages.HugepagesClaim;
import io.github.libvirthooks.features.state.DamagedJournal;
import io.github.libvirthooks.features.state.JournalEntry;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.features.state.VmJournal;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import io.github.libvirthooks.testkit.FakeHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A test feature that checks, while the engine holds the host lock, that no other hook run
 * (thread or process) is inside it, and that the shared claims of every VM's journal match the
 * host: {@code nr_hugepages} equals the pages the hugepages claims added, and
 * {@code system.slice} keeps exactly the online CPUs no isolcpu claim holds. The engine runs
 * {@link #ENTER} before every other feature at prepare and undoes its claim last at release;
 * {@link #EXIT} the other way round. Being inside is a marker file, so processes see it too.
 */
final class ClaimProbe implements ClaimingFeature<ClaimProbe.Inside> {
    static final String ENTER = "probe-enter";
    static final String EXIT = "probe-exit";
    private static final String NR = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages";
    private static final String SYSTEM_SLICE = FakeHost.CGROUP + "/system.slice/cpuset.cpus";
    private static final CpuSet ONLINE = CpuSet.range(0, 7);

    /** How many times this process compared the claims with the host. */
    static final java.util.concurrent.atomic.AtomicInteger CHECKS = new java.util.concurrent.atomic.AtomicInteger();

    /** Its claim: that the probe ran at prepare, so that release runs it again. */
    record Inside() {
    }

    private final String name;
    private final ClaimCodec<Inside> codec = new ClaimCodec<>() {
        @Override
        public String feature() {
            return name;
        }

        @Override
        public String resource(Inside claim) {
            return "probe";
        }

        @Override
        public Map<String, String> encode(Inside claim) {
            return Map.of();
        }

        @Override
        public Inside decode(String resource, Map<String, String> values) {
            return new Inside();
        }
    };
    private final FakeHost tree;
    private final StateDirectory state;
    private final Path insideMarker;
    private final Consumer<String> problems;

    private ClaimProbe(String name, FakeHost tree, StateDirectory state, Consumer<String> problems) {
        this.name = name;
        this.tree = tree;
        this.state = state;
        this.insideMarker = state.path().resolveSibling("inside-the-lock");
        this.problems = problems;
    }

    /** The two probes, to put first and last in the engine's feature list. */
    static List<Feature> around(List<Feature> features, FakeHost tree, StateDirectory state, Consumer<String> problems) {
        List<Feature> all = new ArrayList<>();
        all.add(new ClaimProbe(ENTER, tree, state, problems));
        all.addAll(features);
        all.add(new ClaimProbe(EXIT, tree, state, problems));
        return all;
    }

    /** A VM's enabled features with both probes. */
    static Map<String, Map<String, String>> enabled(Map<String, Map<String, String>> features) {
        Map<String, Map<String, String>> all = new LinkedHashMap<>(features);
        all.put(ENTER, Map.of());
        all.put(EXIT, Map.of());
        return all;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Set<HookOperation> actsOn() {
        return Set.of(HookOperation.PREPARE);
    }

    @Override
    public ClaimCodec<Inside> claimCodec() {
        return codec;
    }

    @Override
    public void apply(FeatureContext context) {
        step(name.equals(ENTER), context.invocation().vmName() + " prepare");
        context.claim(codec, new Inside());
    }

    @Override
    public void undo(Inside claim, FeatureContext context) {
        step(name.equals(EXIT), context.invocation().vmName() + " " + context.invocation().operation().word());
    }

    private void step(boolean entering, String where) {
        try {
            if (entering) {
                try {
                    Files.createFile(insideMarker);
                } catch (FileAlreadyExistsException e) {
                    problems.accept(where + ": another hook run is inside the lock at the same time");
                }
                countsHold(where + " (entering)");
            } else {
                countsHold(where + " (leaving)");
                Files.deleteIfExists(insideMarker);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void countsHold(String where) {
        CHECKS.incrementAndGet();
        List<DamagedJournal> damaged = new ArrayList<>();
        long added = 0;
        CpuSet isolated = CpuSet.empty();
        for (VmJournal journal : state.loadAll(damaged)) {
            for (JournalEntry e : journal.entries()) {
                if (e.kind() == JournalEntry.Kind.CLAIM && e.feature().equals(HugepagesClaim.CODEC.feature())) {
                    added += HugepagesClaim.CODEC.decode(e.key(), e.values()).added();
                } else if (e.kind() == JournalEntry.Kind.CLAIM && e.feature().equals("isolcpu")) {
                    isolated = isolated.union(CpuSet.parseList(e.values().get("cpus")));
                }
            }
        }
        long nr = Long.parseLong(tree.read(NR).strip());
        CpuSet host = CpuSet.parseList(tree.read(SYSTEM_SLICE).strip());
        CpuSet expected = isolated.isEmpty() ? CpuSet.empty() : ONLINE.difference(isolated);
        if (!damaged.isEmpty() || nr != added || !host.equals(expected)) {
            problems.accept(where + ": nr_hugepages " + nr + " but the claims added " + added + "; system.slice CPUs '" + host
                    + "' but the VMs isolate " + isolated + (damaged.isEmpty() ? "" : "; damaged journals " + damaged));
        }
    }
}
