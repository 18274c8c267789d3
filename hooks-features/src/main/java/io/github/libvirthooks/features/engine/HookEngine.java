package io.github.libvirthooks.features.engine;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.state.JournalEntry;
import io.github.libvirthooks.features.state.OtherJournals;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.features.state.VmJournal;
import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.HostWriteListener;
import io.github.libvirthooks.sysfs.exec.CommandException;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs the enabled features of a VM for one hook event, under the host lock, journaling every
 * change before it is made, rolling back on failure, and undoing exactly the journal at
 * {@code release}.
 */
public final class HookEngine {
    private final HostRoot host;
    private final CommandRunner commands;
    private final StateDirectory state;
    private final List<Feature> features;
    private final Duration lockTimeout;
    private final Clock clock;

    /**
     * @param features every known feature, in the fixed order they run at start (and the reverse at release)
     */
    public HookEngine(HostRoot host, CommandRunner commands, StateDirectory state, List<Feature> features,
            Duration lockTimeout, Clock clock) {
        this.host = host;
        this.commands = commands;
        this.state = state;
        this.features = List.copyOf(features);
        this.lockTimeout = lockTimeout;
        this.clock = clock;
    }

    /**
     * Handles one event for one VM.
     *
     * @param enabled feature name to its options, for the features this VM enables
     * @param report  receives a line for each change made or undone, as it happens
     * @throws HookFailure when a feature failed; everything this run did has been undone
     */
    public HookOutcome run(HookInvocation invocation, Domain domain, Map<String, Map<String, String>> enabled,
            Consumer<String> report) {
        try (StateDirectory.HostLock lock = state.lock(lockTimeout)) {
            if (invocation.operation() == HookOperation.RELEASE) {
                return release(invocation, domain, report);
            }
            return apply(invocation, domain, enabled, report);
        }
    }

    /** Undoes everything recorded for a VM (by hand or after a crash); never throws for a failed step. */
    public HookOutcome restore(String vmName, Consumer<String> report) {
        try (StateDirectory.HostLock lock = state.lock(lockTimeout)) {
            VmJournal journal = state.load(vmName, "");
            Domain placeholder = Domain.placeholder(vmName, journal.uuid());
            HookInvocation invocation = new HookInvocation("qemu", vmName, HookOperation.RELEASE, "end", "-");
            return undoAll(invocation, placeholder, journal, report);
        }
    }

    private HookOutcome apply(HookInvocation invocation, Domain domain, Map<String, Map<String, String>> enabled,
            Consumer<String> report) {
        List<String> applied = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        Consumer<String> tee = line -> {
            lines.add(line);
            report.accept(line);
        };
        JournalCursor cursor = new JournalCursor(state.load(invocation.vmName(), domain.uuid()));
        int startSize = cursor.journal.entries().size();
        for (Feature feature : features) {
            if (!enabled.containsKey(feature.name()) || !feature.actsOn().contains(invocation.operation())) {
                continue;
            }
            FeatureContext context = context(invocation, domain, enabled.get(feature.name()), cursor, feature, tee);
            try {
                feature.apply(context);
                applied.add(feature.name());
            } catch (FeatureException | HostAccessException | CommandException | IllegalArgumentException e) {
                List<String> warnings = rollback(invocation, domain, cursor, startSize, tee);
                String reason = String.valueOf(e.getMessage());
                String message = reason.startsWith(feature.name() + ":") ? reason : feature.name() + ": " + reason;
                if (!warnings.isEmpty()) {
                    message += " (rollback incomplete: " + String.join("; ", warnings) + "; run 'libvirt-hooks restore')";
                }
                throw new HookFailure(message, invocation.operation().abortsOnFailure(), e);
            }
        }
        return new HookOutcome(applied, lines, List.of());
    }

    private HookOutcome release(HookInvocation invocation, Domain domain, Consumer<String> report) {
        VmJournal journal = state.load(invocation.vmName(), domain.uuid());
        return undoAll(invocation, domain, journal, report);
    }

    private HookOutcome undoAll(HookInvocation invocation, Domain domain, VmJournal journal, Consumer<String> report) {
        List<String> lines = new ArrayList<>();
        Consumer<String> tee = line -> {
            lines.add(line);
            report.accept(line);
        };
        JournalCursor cursor = new JournalCursor(journal);
        List<String> warnings = rollback(invocation, domain, cursor, 0, tee);
        return new HookOutcome(List.of(), lines, warnings);
    }

    /**
     * Undoes journal entries after {@code keep}, newest first. A step that fails is kept in the
     * journal (so that {@code restore} can retry it) and the others still run.
     */
    private List<String> rollback(HookInvocation invocation, Domain domain, JournalCursor cursor, int keep,
            Consumer<String> report) {
        List<String> warnings = new ArrayList<>();
        for (int i = cursor.journal.entries().size() - 1; i >= keep; i--) {
            JournalEntry entry = cursor.journal.entries().get(i);
            try {
                if (entry.kind() == JournalEntry.Kind.CHANGE) {
                    Change change = entry.asChange();
                    host.write(change.path(), change.before());
                    report.accept("undo   " + entry.feature() + ": " + change.path() + " = " + change.before()
                            + " (was " + change.after() + ")");
                } else {
                    Feature feature = byName(entry.feature());
                    OtherJournals others = cursor.others(() -> state.othersThan(invocation.vmName()));
                    FeatureContext context = new FeatureContext(invocation, domain, Map.of(), host, host, commands,
                            others.readable(), others.damaged(), updatesAt(cursor, i), report);
                    feature.undoClaim(cursor.journal.entries().get(i), context);
                }
            } catch (RuntimeException e) {
                // Kept where it is, so that restore retries it; the other steps still run.
                warnings.add(entry.feature() + ": cannot undo " + entry.key() + ": " + e.getMessage());
                continue;
            }
            cursor.journal = cursor.journal.remove(i, clock.instant());
            state.save(cursor.journal);
        }
        return warnings;
    }

    /** While undoing, a feature may only update the claim it is undoing (to record its progress). */
    private FeatureContext.ClaimRecorder updatesAt(JournalCursor cursor, int index) {
        return new FeatureContext.ClaimRecorder() {
            @Override
            public void record(JournalEntry claim) {
                throw new IllegalStateException("no new claims while undoing");
            }

            @Override
            public void update(JournalEntry claim) {
                cursor.journal = cursor.journal.replace(index, claim, clock.instant());
                state.save(cursor.journal);
            }
        };
    }

    private FeatureContext context(HookInvocation invocation, Domain domain, Map<String, String> options,
            JournalCursor cursor, Feature feature, Consumer<String> report) {
        HostRoot journaled = host.withListener(new HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) {
                cursor.journal = cursor.journal.append(JournalEntry.change(feature.name(), intended), clock.instant());
                state.save(cursor.journal);
            }

            @Override
            public void afterWrite(Change done) {
                report.accept("change " + feature.name() + ": " + done.path() + " = " + done.after()
                        + " (was " + done.before() + ")");
            }
        });
        FeatureContext.ClaimRecorder claims = new FeatureContext.ClaimRecorder() {
            @Override
            public void record(JournalEntry claim) {
                cursor.journal = cursor.journal.append(claim, clock.instant());
                state.save(cursor.journal);
            }

            @Override
            public void update(JournalEntry claim) {
                List<JournalEntry> entries = cursor.journal.entries();
                for (int i = entries.size() - 1; i >= 0; i--) {
                    JournalEntry e = entries.get(i);
                    if (e.kind() == JournalEntry.Kind.CLAIM && e.feature().equals(claim.feature()) && e.key().equals(claim.key())) {
                        cursor.journal = cursor.journal.replace(i, claim, clock.instant());
                        state.save(cursor.journal);
                        return;
                    }
                }
                throw new IllegalStateException("no claim " + claim.key() + " to update");
            }
        };
        // Damaged journals travel with the readable ones: a feature that counts shared claims must refuse, not count them as zero.
        OtherJournals others = cursor.others(() -> state.othersThan(invocation.vmName()));
        return new FeatureContext(invocation, domain, options, journaled, host, commands, others.readable(), others.damaged(),
                claims, report);
    }

    private Feature byName(String name) {
        return features.stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("journal names unknown feature '" + name + "'"));
    }


    /** The journal as it grows during one run; every change is saved before the host is touched. */
    private static final class JournalCursor {
        VmJournal journal;
        /** The other VMs' journals, read once per run: under the host lock they cannot change. */
        private OtherJournals others;

        OtherJournals others(java.util.function.Supplier<OtherJournals> read) {
            if (others == null) {
                others = read.get();
            }
            return others;
        }

        JournalCursor(VmJournal journal) {
            this.journal = journal;
        }
    }

}
