package io.github.libvirthooks.features.hostpower;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Hibernates guests through their agent ({@code dompmsuspend disk}), waits until they are shut
 * off, and applies each guest's fallback to those that cannot or do not finish in time. Shared
 * by host sleep ({@code dohibernate}) and host shutdown ({@code beforeoff-dohibernate}).
 */
final class Hibernation {
    /** Told what is about to be done to a guest, before virsh is asked. */
    interface Intent {
        void before(Target target, SleepRecord.Action action);
    }

    /** A guest to hibernate with its options. */
    record Target(Guest guest, HibernateOptions options) {
    }

    private final PowerRun run;
    private final Intent intent;

    Hibernation(PowerRun run, Intent intent) {
        this.run = run;
        this.intent = intent;
    }

    /**
     * Asks the guest agent to hibernate, when the domain allows it.
     *
     * @return the wait for the guest to shut off; empty when it must fall back at once
     */
    Optional<PowerRun.Wait> request(Target target) {
        Guest g = target.guest();
        PowerSupport.Verdict verdict = PowerSupport.hibernation(g.domain(), g.pm());
        if (!verdict.possible()) {
            run.info("info   " + g.name() + ": cannot hibernate (" + verdict.reason() + "); fallback " + fallbackWord(target));
            return Optional.empty();
        }
        intent.before(target, SleepRecord.Action.HIBERNATE);
        try {
            run.virsh.pmSuspend(g.uuid(), "disk", run.commandTimeout());
        } catch (RuntimeException e) {
            run.warn(g.name() + ": the guest agent did not take the hibernation request (" + e.getMessage() + "); fallback "
                    + fallbackWord(target));
            return Optional.empty();
        }
        run.info("sleep  " + g.name() + ": guest agent asked to hibernate (suspend to disk), waiting up to "
                + target.options().timeout().toSeconds() + " s for it to shut off");
        return Optional.of(new PowerRun.Wait(g.uuid(), g.name(), Set.of(DomainState.SHUT_OFF), run.until(target.options().timeout())));
    }

    /** Requests hibernation for all, waits, and falls back for the rest: the whole of host shutdown's work. */
    void hibernate(List<Target> targets) {
        List<PowerRun.Wait> waits = new ArrayList<>();
        List<Target> fallBack = new ArrayList<>();
        for (Target t : targets) {
            request(t).ifPresentOrElse(waits::add, () -> fallBack.add(t));
        }
        Map<String, Boolean> reached = run.await(waits);
        for (Target t : targets) {
            Boolean done = reached.get(t.guest().uuid());
            if (done == null) {
                continue;
            }
            if (done) {
                run.info("done   " + t.guest().name() + ": hibernated and shut off");
            } else {
                run.info("info   " + t.guest().name() + ": not shut off within " + t.options().timeout().toSeconds()
                        + " s of the hibernation request; fallback " + fallbackWord(t));
                fallBack.add(t);
            }
        }
        fallBack(fallBack);
    }

    /** Applies each target's fallback: managed save (one at a time), ACPI shutdown (all at once, then waited for), or nothing. */
    void fallBack(List<Target> targets) {
        List<PowerRun.Wait> shutdowns = new ArrayList<>();
        for (Target t : targets) {
            Guest g = t.guest();
            DomainState state = run.state(g.uuid());
            if (state == DomainState.SHUT_OFF) {
                run.info("done   " + g.name() + ": shut off after all (hibernated late)");
                continue;
            }
            HibernateOptions.Fallback fallback = t.options().fallback();
            if (fallback == HibernateOptions.Fallback.MANAGEDSAVE) {
                PowerSupport.Verdict save = PowerSupport.managedSave(g.domain());
                if (!save.possible()) {
                    run.warn(g.name() + ": fallback managedsave is impossible (" + save.reason() + "); shutting it down instead");
                    fallback = HibernateOptions.Fallback.SHUTDOWN;
                }
            }
            switch (fallback) {
                case MANAGEDSAVE -> {
                    intent.before(t, SleepRecord.Action.MANAGEDSAVE);
                    try {
                        run.virsh.managedSave(g.uuid(), run.remaining());
                        run.info("done   " + g.name() + ": memory saved by libvirt (managedsave); the next start restores it");
                    } catch (RuntimeException e) {
                        run.warn(g.name() + ": managedsave failed, left running: " + e.getMessage());
                    }
                }
                case SHUTDOWN -> {
                    intent.before(t, SleepRecord.Action.SHUTDOWN);
                    try {
                        run.virsh.shutdownAcpi(g.uuid(), run.commandTimeout());
                        run.info("stop   " + g.name() + ": ACPI shutdown sent, waiting up to " + t.options().shutdownTimeout().toSeconds() + " s");
                        shutdowns.add(new PowerRun.Wait(g.uuid(), g.name(), Set.of(DomainState.SHUT_OFF),
                                run.until(t.options().shutdownTimeout())));
                    } catch (RuntimeException e) {
                        run.warn(g.name() + ": ACPI shutdown failed, left running: " + e.getMessage());
                    }
                }
                case NONE -> run.warn(g.name() + ": left running (fallback=none)");
            }
        }
        Map<String, Boolean> reached = run.await(shutdowns);
        for (PowerRun.Wait w : shutdowns) {
            if (reached.getOrDefault(w.uuid(), false)) {
                run.info("done   " + w.name() + ": shut down");
            } else {
                run.warn(w.name() + ": still running after the ACPI shutdown timed out");
            }
        }
    }

    private static String fallbackWord(Target t) {
        return t.options().fallback().name().toLowerCase(java.util.Locale.ROOT);
    }
}
