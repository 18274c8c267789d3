package io.github.libvirthooks.features.engine;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.script.ProcessScriptRunner;
import io.github.libvirthooks.features.script.RecordingScriptRunner;
import io.github.libvirthooks.features.script.ScriptOptions;
import io.github.libvirthooks.features.script.ScriptRunner;
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
import io.github.libvirthooks.sysfs.exec.RecordingCommandRunner;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Runs the enabled features of a VM for one hook event, under the host lock, journaling every
 * change before it is made, rolling back on failure, and undoing exactly the journal at
 * {@code release}. {@link #plan} runs the same code on a dry host: every write, command and
 * script is recorded instead of performed, and nothing is journaled.
 */
public final class HookEngine {
    private final HostRoot host;
    private final CommandRunner commands;
    private final ScriptRunner scripts;
    private final StateDirectory state;
    private final FeatureSource features;
    private final Duration lockTimeout;
    private final Clock clock;

    /**
     * @param features every known feature, in the fixed order they run at start (and the reverse at release)
     */
    public HookEngine(HostRoot host, CommandRunner commands, StateDirectory state, List<Feature> features,
            Duration lockTimeout, Clock clock) {
        this(host, commands, new ProcessScriptRunner(commands), state, FeatureSource.of(features), lockTimeout, clock);
    }

    /**
     * @param features every known feature, built only when a VM enables it or a journal names it
     */
    public HookEngine(HostRoot host, CommandRunner commands, StateDirectory state, FeatureSource features,
            Duration lockTimeout, Clock clock) {
        this(host, commands, new ProcessScriptRunner(commands), state, features, lockTimeout, clock);
    }

    /**
     * @param scripts  runs the user's scripts
     * @param features every known feature, in the fixed order they run at start (and the reverse at release)
     */
    public HookEngine(HostRoot host, CommandRunner commands, ScriptRunner scripts, StateDirectory state, List<Feature> features,
            Duration lockTimeout, Clock clock) {
        this(host, commands, scripts, state, FeatureSource.of(features), lockTimeout, clock);
    }

    private HookEngine(HostRoot host, CommandRunner commands, ScriptRunner scripts, StateDirectory state, FeatureSource features,
            Duration lockTimeout, Clock clock) {
        this.host = host;
        this.commands = commands;
        this.scripts = scripts;
        this.state = state;
        this.features = features;
        this.lockTimeout = lockTimeout;
        this.clock = clock;
    }

    /** {@link #run(HookRequest, Map, Consumer)} without the raw domain XML (the user's scripts then read an empty stdin). */
    public HookOutcome run(HookInvocation invocation, Domain domain, Map<String, Map<String, String>> enabled,
            Consumer<String> report) {
        return run(HookRequest.of(invocation, domain), enabled, report);
    }

    /**
     * Handles one event for one VM.
     *
     * @param enabled feature name to its options, for the features this VM enables
     * @param report  receives a line for each change made or undone, as it happens
     * @throws HookFailure when a feature failed; everything this run did has been undone
     */
    public HookOutcome run(HookRequest request, Map<String, Map<String, String>> enabled, Consumer<String> report) {
        HookInvocation invocation = request.invocation();
        // A release must not give up while another VM's script holds the lock: that script may run its full timeout.
        Duration wait = invocation.operation() == HookOperation.RELEASE && lockTimeout.compareTo(RELEASE_LOCK_WAIT) < 0
                ? RELEASE_LOCK_WAIT : lockTimeout;
        try (StateDirectory.HostLock lock = state.lock(wait, holder(invocation))) {
            if (!lock.waitedFor().isEmpty() && lock.waited().toMillis() >= 1000) {
                report.accept("info   waited " + lock.waited().toSeconds() + " s for the host lock, held by " + lock.waitedFor());
            }
            Access access = new Access(host, commands, scripts, Effects.IGNORED, new Saving(state));
            if (request.invocation().operation() == HookOperation.RELEASE) {
                return release(request, access, report);
            }
            return apply(request, enabled, access, report);
        }
    }

    /**
     * What {@link #run} would do, computed by running it on a dry host: the same validation, the
     * same decisions and the same refusals, with every write, file creation and removal, command
     * (but those that only read) and script recorded per feature instead of performed, and the
     * journal kept in memory. Takes no lock and changes nothing, not even the journals. After a
     * refusal the remaining features are still planned, so that every problem shows at once.
     */
    public List<FeaturePlan> plan(HookRequest request, Map<String, Map<String, String>> enabled) {
        validate(enabled);
        HostRoot dry = host.dryRun();
        JournalCursor cursor = new JournalCursor(state.load(request.invocation().vmName(), request.uuid()));
        Map<String, PlanRecorder> recorders = new LinkedHashMap<>();
        if (request.invocation().operation() == HookOperation.RELEASE) {
            PlanRecorder all = new PlanRecorder("release");
            Access access = all.access(dry, commands);
            List<String> warnings = rollback(request, cursor, 0, access, all.notes::add);
            return List.of(all.plan(cursor, cursor.journal.entries().size(),
                    warnings.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", warnings))));
        }
        List<FeaturePlan> plans = new ArrayList<>();
        for (Feature feature : acting(request, enabled)) {
            PlanRecorder recorder = new PlanRecorder(feature.name());
            Access access = recorder.access(dry, commands);
            int before = cursor.journal.entries().size();
            Optional<String> refused = Optional.empty();
            try {
                feature.apply(context(request, enabled.get(feature.name()), cursor, feature, access, recorder::report));
            } catch (FeatureException | HostAccessException | CommandException | IllegalArgumentException e) {
                refused = Optional.of(failureMessage(feature, e));
            }
            plans.add(recorder.plan(cursor, before, refused));
        }
        return plans;
    }

    /** How long a release waits for the host lock at least: the longest a script may hold it, and a minute. */
    public static final Duration RELEASE_LOCK_WAIT = io.github.libvirthooks.features.script.ScriptOptions.MAX_TIMEOUT
            .plusMinutes(1);

    /** How this run names itself in the lock file, for a run that waits for it. */
    private static String holder(HookInvocation invocation) {
        return "pid " + StateDirectory.ownPid() + ", VM " + io.github.libvirthooks.features.state.DamagedJournal.printable(
                invocation.vmName()) + " " + invocation.event();
    }

    /** Undoes everything recorded for a VM (by hand or after a crash); never throws for a failed step. */
    public HookOutcome restore(String vmName, Consumer<String> report) {
        try (StateDirectory.HostLock lock = state.lock(lockTimeout, "pid " + StateDirectory.ownPid() + ", restore of VM "
                + io.github.libvirthooks.features.state.DamagedJournal.printable(vmName))) {
            VmJournal journal = state.load(vmName, "");
            HookInvocation invocation = new HookInvocation("qemu", vmName, HookOperation.RELEASE, "end", "-");
            return undoAll(HookRequest.withoutDomain(invocation, journal.uuid()), journal, new Access(host, commands, scripts, Effects.IGNORED,
                    new Saving(state)), report);
        }
    }

    /** The enabled features that act at this event, in run order; only the enabled ones are built. */
    private List<Feature> acting(HookRequest request, Map<String, Map<String, String>> enabled) {
        List<Feature> acting = new ArrayList<>();
        for (String name : features.names()) {
            if (enabled.containsKey(name)) {
                Feature feature = features.named(name).orElseThrow();
                if (feature.actsOn().contains(request.invocation().operation())) {
                    acting.add(feature);
                }
            }
        }
        return acting;
    }

    /**
     * Every enabled feature is known and no two exclude each other (their specs say which), before anything changes.
     *
     * @throws FeatureException naming the feature, or both features and why
     */
    public void validate(Map<String, Map<String, String>> enabled) {
        List<String> known = features.names();
        for (String name : enabled.keySet()) {
            if (!known.contains(name)) {
                throw new FeatureException("unknown feature <" + name + "> in the VM's <hooks> metadata; this version knows: "
                        + String.join(", ", new java.util.TreeSet<>(known)));
            }
        }
        // Only the enabled features' specs: a conflict is between two enabled features.
        List<FeatureSpec> specs = new ArrayList<>();
        for (String name : known) {
            if (enabled.containsKey(name)) {
                specs.add(features.spec(name));
            }
        }
        Optional<FeatureSpec.Conflict> conflict = FeatureSpec.conflictAmong(specs, enabled.keySet());
        if (conflict.isPresent()) {
            FeatureSpec.Conflict c = conflict.get();
            throw new FeatureException("the VM enables both " + c.first() + " and " + c.second() + ": " + c.why() + "; turn one off");
        }
    }

    private HookOutcome apply(HookRequest request, Map<String, Map<String, String>> enabled, Access access,
            Consumer<String> report) {
        try {
            validate(enabled);
        } catch (FeatureException e) {
            throw new HookFailure(e.getMessage(), request.invocation().operation().abortsOnFailure(), e);
        }
        List<String> applied = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        Consumer<String> tee = new Tee(lines, report);
        JournalCursor cursor = new JournalCursor(state.load(request.invocation().vmName(), request.uuid()));
        int startSize = cursor.journal.entries().size();
        for (Feature feature : acting(request, enabled)) {
            FeatureContext context = context(request, enabled.get(feature.name()), cursor, feature, access, tee);
            try {
                feature.apply(context);
                saveSteps(cursor, access);
                applied.add(feature.name());
            } catch (FeatureException | HostAccessException | CommandException | IllegalArgumentException e) {
                List<String> warnings = rollback(request, cursor, startSize, access, tee);
                String message = failureMessage(feature, e);
                if (!warnings.isEmpty()) {
                    message += " (rollback incomplete: " + String.join("; ", warnings) + "; run 'libvirt-hooks restore')";
                }
                throw new HookFailure(message, request.invocation().operation().abortsOnFailure(), e);
            }
        }
        return new HookOutcome(applied, lines, List.of());
    }

    /** The one line a failed feature leaves on stderr, named by the feature. */
    private static String failureMessage(Feature feature, RuntimeException e) {
        String reason = String.valueOf(e.getMessage());
        return reason.startsWith(feature.name() + ":") ? reason : feature.name() + ": " + reason;
    }

    private HookOutcome release(HookRequest request, Access access, Consumer<String> report) {
        VmJournal journal = state.load(request.invocation().vmName(), request.uuid());
        return undoAll(request, journal, access, report);
    }

    private HookOutcome undoAll(HookRequest request, VmJournal journal, Access access, Consumer<String> report) {
        List<String> lines = new ArrayList<>();
        Consumer<String> tee = new Tee(lines, report);
        JournalCursor cursor = new JournalCursor(journal);
        List<String> warnings = rollback(request, cursor, 0, access, tee);
        return new HookOutcome(List.of(), lines, warnings);
    }

    /**
     * Undoes journal entries after {@code keep}, newest first. A step that fails is kept in the
     * journal (so that {@code restore} can retry it) and the others still run.
     */
    private List<String> rollback(HookRequest request, JournalCursor cursor, int keep, Access access, Consumer<String> report) {
        List<String> warnings = new ArrayList<>();
        for (int i = cursor.journal.entries().size() - 1; i >= keep; i--) {
            JournalEntry entry = cursor.journal.entries().get(i);
            if (entry.kind() == JournalEntry.Kind.STEP) {
                // Its claim, older, gives it back; the record goes with the next save.
                cursor.journal = cursor.journal.remove(i, clock.instant());
                cursor.unsaved = true;
                continue;
            }
            try {
                if (entry.kind() == JournalEntry.Kind.CHANGE) {
                    Change change = entry.asChange();
                    // A damaged or planted journal must not turn undo into "write anywhere".
                    requireKernelInterface(change.path());
                    access.host.write(change.path(), change.before());
                    report.accept("undo   " + entry.feature() + ": " + change.path() + " = " + change.before()
                            + " (was " + change.after() + ")");
                } else {
                    Feature feature = byName(entry.feature());
                    OtherJournals others = cursor.others(state, request.invocation().vmName());
                    // The one option an undo gets: where its journal was read, which a claim's own files must be under.
                    Map<String, String> undoOptions = Map.of(ScriptOptions.STATE_DIR, state.path().toString());
                    FeatureContext context = new FeatureContext(request, undoOptions, access.host, access.host, access.commands,
                            access.scripts, others.readable(), others.damaged(), updatesAt(cursor, i, access), access.effects, report);
                    feature.undoClaim(cursor.journal.entries().get(i), context);
                }
            } catch (RuntimeException e) {
                // Kept where it is, so that restore retries it; the other steps still run.
                warnings.add(entry.feature() + ": cannot undo " + entry.key() + ": " + e.getMessage());
                continue;
            }
            cursor.journal = cursor.journal.remove(i, clock.instant());
            save(cursor, access);
        }
        saveSteps(cursor, access);
        return warnings;
    }

    private static void saveSteps(JournalCursor cursor, Access access) {
        if (cursor.unsaved) {
            save(cursor, access);
        }
    }

    private static void save(JournalCursor cursor, Access access) {
        access.save.accept(cursor.journal);
        cursor.unsaved = false;
    }

    /** The host files whose changes a journal may undo: the kernel interfaces features write, nothing else. */
    static final List<String> UNDOABLE = List.of("/sys/", "/proc/sys/", "/proc/irq/");

    private static void requireKernelInterface(String path) {
        String normal = java.nio.file.Path.of(path).normalize().toString();
        if (!normal.equals(path) || !underUndoable(normal)) {
            throw new FeatureException("refused to write " + path + ": a journal may only undo changes to " + String.join(", ", UNDOABLE)
                    + "; this entry was not written by libvirt-hooks (check the journal, then delete it)");
        }
    }

    private static boolean underUndoable(String path) {
        for (String prefix : UNDOABLE) {
            if (path.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** While undoing, a feature may only update the claim it is undoing (to record its progress). */
    private FeatureContext.ClaimRecorder updatesAt(JournalCursor cursor, int index, Access access) {
        return new FeatureContext.ClaimRecorder() {
            @Override
            public void record(JournalEntry claim) {
                throw new IllegalStateException("no new claims while undoing");
            }

            @Override
            public void update(JournalEntry claim) {
                cursor.journal = cursor.journal.replace(index, claim, clock.instant());
                save(cursor, access);
            }
        };
    }

    private FeatureContext context(HookRequest request, Map<String, String> options, JournalCursor cursor, Feature feature,
            Access access, Consumer<String> report) {
        HostRoot journaled = access.host.withListener(new HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) {
                cursor.journal = cursor.journal.append(JournalEntry.change(feature.name(), intended), clock.instant());
                save(cursor, access);
            }

            @Override
            public void beforeOwnership(Change intended) throws java.io.IOException {
                // A journal undoes file changes by writing content back; an owner comes back only through a claim.
                throw new java.io.IOException("an owner change needs a claim (use claimedHost)");
            }

            @Override
            public void afterWrite(Change done) {
                report.accept(changeLine(feature, done));
            }
        });
        FeatureContext.ClaimRecorder claims = new FeatureContext.ClaimRecorder() {
            @Override
            public void record(JournalEntry claim) {
                cursor.journal = cursor.journal.append(claim, clock.instant());
                save(cursor, access);
            }

            @Override
            public void update(JournalEntry claim) {
                List<JournalEntry> entries = cursor.journal.entries();
                for (int i = entries.size() - 1; i >= 0; i--) {
                    JournalEntry e = entries.get(i);
                    if (e.kind() == JournalEntry.Kind.CLAIM && e.feature().equals(claim.feature()) && e.key().equals(claim.key())) {
                        cursor.journal = cursor.journal.replace(i, claim, clock.instant());
                        save(cursor, access);
                        return;
                    }
                }
                throw new IllegalStateException("no claim " + claim.key() + " to update");
            }
        };
        // Damaged journals travel with the readable ones: a feature that counts shared claims must refuse, not count them as zero.
        OtherJournals others = cursor.others(state, request.invocation().vmName());
        return new FeatureContext(request, options, journaled, claimedHost(feature, cursor, access, report), access.commands,
                access.scripts, others.readable(), others.damaged(), claims, access.effects, report);
    }

    /**
     * The host as a feature's claim changes it: each step is journaled under the feature's last
     * claim. A step is kept in memory until the next save (the claim's update that follows, the
     * next entry, or the end of the feature's run): it records what the claim did and is never
     * undone by itself, so a crash that loses it loses a record, not the undo.
     */
    private HostRoot claimedHost(Feature feature, JournalCursor cursor, Access access, Consumer<String> report) {
        return access.host.withListener(new HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) {
                step("write", intended.path(), intended.before(), intended.after());
            }

            @Override
            public void beforeTrigger(String path, String value) {
                step("trigger", path, "", value);
            }

            @Override
            public void beforeCreate(String path) {
                step("create", path, "", "");
            }

            @Override
            public void beforeRemove(String path) {
                step("remove", path, "", "");
            }

            @Override
            public void beforeOwnership(Change intended) {
                step("owner", intended.path(), intended.before(), intended.after());
            }

            @Override
            public void afterWrite(Change done) {
                report.accept(changeLine(feature, done));
            }

            private void step(String op, String path, String before, String after) {
                Optional<String> claim = lastClaim(cursor.journal, feature.name());
                if (claim.isEmpty()) {
                    throw new IllegalStateException(feature.name() + " changed " + path + " before recording the claim that gives it back");
                }
                String resource = claim.get();
                cursor.journal = cursor.journal.append(JournalEntry.step(feature.name(), resource, op, path, before, after),
                        clock.instant());
                cursor.unsaved = true;
            }
        });
    }

    /** What the user reads of a host value the hook changed. */
    private static String changeLine(Feature feature, Change done) {
        return "change " + feature.name() + ": " + done.path() + " = " + done.after() + " (was " + done.before() + ")";
    }

    private static Optional<String> lastClaim(VmJournal journal, String feature) {
        List<JournalEntry> entries = journal.entries();
        for (int i = entries.size() - 1; i >= 0; i--) {
            JournalEntry e = entries.get(i);
            if (e.kind() == JournalEntry.Kind.CLAIM && e.feature().equals(feature)) {
                return Optional.of(e.key());
            }
        }
        return Optional.empty();
    }

    private Feature byName(String name) {
        Optional<Feature> feature = features.named(name);
        if (feature.isEmpty()) {
            throw new IllegalStateException("journal names unknown feature '" + name + "'");
        }
        return feature.get();
    }

    /**
     * What a run reaches the host through: the real host and processes for a hook run, recording
     * ones for a plan.
     *
     * @param save keeps the journal after each step (a plan keeps it in memory only)
     */
    private record Access(HostRoot host, CommandRunner commands, ScriptRunner scripts, Effects effects,
            Consumer<VmJournal> save) {
    }

    /** Keeps the journal in the state directory after each step (a class, not {@code state::save}: no call site per event). */
    private static final class Saving implements Consumer<VmJournal> {
        private final StateDirectory state;

        Saving(StateDirectory state) {
            this.state = state;
        }

        @Override
        public void accept(VmJournal journal) {
            state.save(journal);
        }
    }

    /** Passes each line on and keeps it for the outcome. */
    private static final class Tee implements Consumer<String> {
        private final List<String> lines;
        private final Consumer<String> report;

        Tee(List<String> lines, Consumer<String> report) {
            this.lines = lines;
            this.report = report;
        }

        @Override
        public void accept(String line) {
            lines.add(line);
            report.accept(line);
        }
    }

    /** Collects one feature's dry run. */
    private static final class PlanRecorder implements HostWriteListener {
        final String feature;
        final List<String> notes = new ArrayList<>();
        final List<Change> writes = new ArrayList<>();
        final List<String> created = new ArrayList<>();
        final List<String> removed = new ArrayList<>();
        final Map<String, Object> effects = new LinkedHashMap<>();
        RecordingCommandRunner commands;
        final RecordingScriptRunner scripts = new RecordingScriptRunner();

        PlanRecorder(String feature) {
            this.feature = feature;
        }

        Access access(HostRoot dry, CommandRunner real) {
            commands = new RecordingCommandRunner(real);
            return new Access(dry.withListener(this), commands, scripts, effects::put, journal -> { });
        }

        /** The hook's own notes; the lines that say what was done are shown as the writes, commands and claims instead. */
        void report(String line) {
            if (line.startsWith("warn") || line.startsWith("info") || line.startsWith("skip") || line.startsWith("keep")) {
                notes.add(line);
            }
        }

        @Override
        public void beforeWrite(Change intended) {
            writes.add(intended);
        }

        @Override
        public void beforeTrigger(String path, String value) {
            writes.add(new Change(path, "", value));
        }

        @Override
        public void beforeCreate(String path) {
            created.add(path);
        }

        @Override
        public void beforeRemove(String path) {
            removed.add(path);
        }

        /** An owner and mode change shows as a write of {@code uid:gid mode}. */
        @Override
        public void beforeOwnership(Change intended) {
            writes.add(intended);
        }

        FeaturePlan plan(JournalCursor cursor, int journalBefore, Optional<String> refused) {
            List<JournalEntry> claims = cursor.journal.entries().subList(Math.min(journalBefore, cursor.journal.entries().size()),
                    cursor.journal.entries().size()).stream().filter(e -> e.kind() == JournalEntry.Kind.CLAIM).toList();
            return new FeaturePlan(feature, notes, writes, created, removed, commands.recorded(), scripts.recorded(), claims,
                    effects, refused);
        }
    }

    /** The journal as it grows during one run; every change is saved before the host is touched. */
    private static final class JournalCursor {
        VmJournal journal;
        /** Steps appended since the last save (see {@link #claimedHost}). */
        boolean unsaved;
        /** The other VMs' journals, read once per run: under the host lock they cannot change. */
        private OtherJournals others;

        OtherJournals others(StateDirectory state, String vmName) {
            if (others == null) {
                others = state.othersThan(vmName);
            }
            return others;
        }

        JournalCursor(VmJournal journal) {
            this.journal = journal;
        }
    }
}
