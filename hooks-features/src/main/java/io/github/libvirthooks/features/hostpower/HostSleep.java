package io.github.libvirthooks.features.hostpower;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.sysfs.hugetlb.Sleeper;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * What happens to VMs when the host sleeps: {@link #pre} before (systemd runs it from a unit
 * ordered before {@code sleep.target}), {@link #post} after resume.
 *
 * <p>{@code dosleep} VMs are suspended to RAM by their guest agent where the XML allows it, else
 * paused; {@code dohibernate} VMs are hibernated by their agent, else handled by their fallback.
 * Every wait is bounded by the run's budget: the host goes to sleep in the end whatever the guests do.
 * What was done is written to a {@link SleepRecord} before it is done, so that {@code post}
 * wakes exactly those VMs, and is safe to run again after a crash.
 */
public final class HostSleep {
    /** Default budget of {@code pre}: hibernation's default timeout plus a shutdown fallback's. */
    public static final Duration DEFAULT_PRE_BUDGET = Duration.ofSeconds(180);
    /** Default budget of {@code post}. */
    public static final Duration DEFAULT_POST_BUDGET = Duration.ofSeconds(120);

    private final Virsh virsh;
    private final Path stateDir;
    private final SleepRecord record;
    private final BiFunction<String, Domain, Map<String, Map<String, String>>> enabledFeatures;
    private final Clock clock;
    private final Sleeper sleeper;

    /**
     * @param enabledFeatures for a VM name and domain, its enabled features and options (the hook's own resolution)
     */
    public HostSleep(Virsh virsh, Path stateDir, BiFunction<String, Domain, Map<String, Map<String, String>>> enabledFeatures,
            Clock clock, Sleeper sleeper) {
        this.virsh = virsh;
        this.stateDir = stateDir;
        this.record = new SleepRecord(stateDir);
        this.enabledFeatures = enabledFeatures;
        this.clock = clock;
        this.sleeper = sleeper;
    }

    /** The record {@code post} reads. */
    public SleepRecord record() {
        return record;
    }

    /** Puts the {@code dosleep} and {@code dohibernate} VMs to sleep, within {@code budget}. */
    public HostPowerResult pre(Duration budget, Consumer<String> report) {
        PowerRun run = new PowerRun(virsh, clock, sleeper, budget, report);
        try (HostPowerLock lock = HostPowerLock.take(stateDir, budget, clock, sleeper)) {
            Map<String, SleepRecord.Entry> entries = new LinkedHashMap<>(record.read());
            if (!entries.isEmpty()) {
                run.info("info   " + entries.size() + " VM(s) from an earlier host sleep were never woken ('host-sleep post' did not"
                        + " run); they stay in " + record.path() + " for the next post");
            }
            List<String> handled = new ArrayList<>();
            List<Guest> sleepers = new ArrayList<>();
            List<Hibernation.Target> hibernators = new ArrayList<>();
            for (Guest g : Guest.discover(virsh, enabledFeatures, List.of(DosleepOptions.FEATURE, HibernateOptions.SLEEP_FEATURE), run)) {
                try {
                    if (g.features().containsKey(HibernateOptions.SLEEP_FEATURE)) {
                        HibernateOptions options = HibernateOptions.parse(HibernateOptions.SLEEP_FEATURE,
                                g.features().get(HibernateOptions.SLEEP_FEATURE));
                        if (g.features().containsKey(DosleepOptions.FEATURE)) {
                            run.warn(g.name() + ": enables both dosleep and dohibernate; hibernating it (turn one off)");
                        }
                        if (isRunning(run, g)) {
                            hibernators.add(new Hibernation.Target(g, options));
                        }
                    } else {
                        DosleepOptions.parse(g.features().get(DosleepOptions.FEATURE));
                        if (isRunning(run, g)) {
                            sleepers.add(g);
                        }
                    }
                } catch (RuntimeException e) {
                    run.warn(g.name() + ": " + e.getMessage() + "; left alone");
                }
            }
            Intents intents = new Intents(entries);
            List<PowerRun.Wait> waits = new ArrayList<>();
            for (Guest g : sleepers) {
                handled.add(g.name());
                requestSleep(run, g, DosleepOptions.parse(g.features().get(DosleepOptions.FEATURE)), intents).ifPresent(waits::add);
            }
            Hibernation hibernation = new Hibernation(run, (t, action) -> intents.put(t.guest(), action, t.options().restartAfterResume()));
            List<Hibernation.Target> fallBack = new ArrayList<>();
            Map<String, Hibernation.Target> asked = new LinkedHashMap<>();
            for (Hibernation.Target t : hibernators) {
                handled.add(t.guest().name());
                hibernation.request(t).ifPresentOrElse(w -> {
                    waits.add(w);
                    asked.put(t.guest().uuid(), t);
                }, () -> fallBack.add(t));
            }
            Map<String, Boolean> reached = run.await(waits);
            for (Guest g : sleepers) {
                Boolean done = reached.get(g.uuid());
                if (done == null) {
                    continue;
                }
                if (done) {
                    run.info("done   " + g.name() + ": suspended to RAM (pmsuspended)");
                } else {
                    run.info("info   " + g.name() + ": not pmsuspended in time; pausing it instead");
                    pause(run, g, intents);
                }
            }
            for (Hibernation.Target t : asked.values()) {
                if (reached.getOrDefault(t.guest().uuid(), false)) {
                    run.info("done   " + t.guest().name() + ": hibernated and shut off");
                } else {
                    run.info("info   " + t.guest().name() + ": not shut off within " + t.options().timeout().toSeconds()
                            + " s of the hibernation request; fallback " + t.options().fallback().name().toLowerCase(java.util.Locale.ROOT));
                    fallBack.add(t);
                }
            }
            hibernation.fallBack(fallBack);
            if (handled.isEmpty()) {
                run.info("info   no running VM has dosleep or dohibernate; nothing to do before the host sleeps");
            }
            return new HostPowerResult(handled, run.warnings);
        }
    }

    /**
     * Wakes what {@link #pre} put to sleep, going by each domain's state now: a paused domain is
     * resumed, a pmsuspended one woken, a stopped one started when its options ask for it;
     * anything else is left as it is. Entries done are dropped from the record one by one, so
     * running it again (after a crash, or by hand) does only what is left.
     */
    public HostPowerResult post(Duration budget, Consumer<String> report) {
        PowerRun run = new PowerRun(virsh, clock, sleeper, budget, report);
        try (HostPowerLock lock = HostPowerLock.take(stateDir, budget, clock, sleeper)) {
            Map<String, SleepRecord.Entry> entries = new LinkedHashMap<>(record.read());
            if (entries.isEmpty()) {
                run.info("info   nothing to wake: no VM was put to sleep before the host slept");
                return new HostPowerResult(List.of(), List.of());
            }
            List<String> handled = new ArrayList<>();
            for (SleepRecord.Entry e : List.copyOf(entries.values())) {
                handled.add(e.name());
                try {
                    wake(run, e);
                    entries.remove(e.uuid());
                    record.write(entries);
                } catch (RuntimeException ex) {
                    run.warn(e.name() + ": " + ex.getMessage() + "; kept in " + record.path() + " for the next 'host-sleep post'");
                }
            }
            return new HostPowerResult(handled, run.warnings);
        }
    }

    private static void wake(PowerRun run, SleepRecord.Entry e) {
        DomainState state = run.state(e.uuid());
        if (e.action().stopsTheVm()) {
            if (!e.restartAfterResume()) {
                run.info("info   " + e.name() + ": stays " + state.word() + " (restart-after-resume=false)");
            } else if (state == DomainState.SHUT_OFF) {
                run.virsh.start(e.uuid(), run.remaining());
                run.info("start  " + e.name() + ": started again after the host resumed");
            } else {
                run.info("info   " + e.name() + ": is " + state.word() + ", not started");
            }
            return;
        }
        if (state == DomainState.PAUSED) {
            run.virsh.resume(e.uuid(), run.commandTimeout());
            run.info("wake   " + e.name() + ": resumed");
            state = run.state(e.uuid());
        }
        if (state == DomainState.PMSUSPENDED) {
            run.virsh.pmWakeup(e.uuid(), run.commandTimeout());
            run.info("wake   " + e.name() + ": woken from suspend-to-RAM");
        } else if (state != DomainState.RUNNING) {
            run.info("info   " + e.name() + ": is " + state.word() + ", nothing to wake");
        } else if (e.action() == SleepRecord.Action.PMSUSPEND || run.state(e.uuid()) == DomainState.RUNNING) {
            run.info("info   " + e.name() + ": running");
        }
    }

    private static boolean isRunning(PowerRun run, Guest g) {
        DomainState state = run.state(g.uuid());
        if (state != DomainState.RUNNING) {
            run.info("skip   " + g.name() + ": is " + state.word() + ", left as it is");
            return false;
        }
        return true;
    }

    private java.util.Optional<PowerRun.Wait> requestSleep(PowerRun run, Guest g, DosleepOptions options, Intents intents) {
        PowerSupport.Verdict verdict = options.mode() == DosleepOptions.Mode.PAUSE
                ? new PowerSupport.Verdict(false, "mode=pause") : PowerSupport.suspendToMem(g.domain(), g.pm());
        if (!verdict.possible()) {
            run.info("info   " + g.name() + ": pausing, no suspend-to-RAM (" + verdict.reason() + ")");
            pause(run, g, intents);
            return java.util.Optional.empty();
        }
        intents.put(g, SleepRecord.Action.PMSUSPEND, false);
        try {
            run.virsh.pmSuspend(g.uuid(), "mem", run.commandTimeout());
        } catch (RuntimeException e) {
            run.info("info   " + g.name() + ": the guest agent did not take the suspend request (" + e.getMessage() + "); pausing it");
            pause(run, g, intents);
            return java.util.Optional.empty();
        }
        run.info("sleep  " + g.name() + ": guest agent asked to suspend to RAM, waiting up to " + options.timeout().toSeconds() + " s");
        return java.util.Optional.of(new PowerRun.Wait(g.uuid(), g.name(), Set.of(DomainState.PMSUSPENDED), run.until(options.timeout())));
    }

    private static void pause(PowerRun run, Guest g, Intents intents) {
        intents.put(g, SleepRecord.Action.PAUSE, false);
        try {
            run.virsh.suspend(g.uuid(), run.commandTimeout());
            run.info("sleep  " + g.name() + ": paused");
        } catch (RuntimeException e) {
            run.warn(g.name() + ": cannot pause it, it keeps running while the host sleeps: " + e.getMessage());
        }
    }

    /** The record as {@code pre} fills it: each intent is on disk before virsh is asked. */
    private final class Intents {
        private final Map<String, SleepRecord.Entry> entries;

        Intents(Map<String, SleepRecord.Entry> entries) {
            this.entries = entries;
        }

        void put(Guest g, SleepRecord.Action action, boolean restartAfterResume) {
            entries.put(g.uuid(), new SleepRecord.Entry(action, g.uuid(), restartAfterResume, g.name()));
            record.write(entries);
        }
    }
}
