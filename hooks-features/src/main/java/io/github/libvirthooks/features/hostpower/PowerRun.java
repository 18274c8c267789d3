package io.github.libvirthooks.features.hostpower;

import io.github.libvirthooks.sysfs.hugetlb.Sleeper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One run of a host sleep or shutdown handler: its overall deadline, the waits it makes, and
 * what it reports. Nothing here waits past the deadline, so the host's sleep or power-off is
 * delayed by at most the run's budget.
 */
final class PowerRun {
    /** How often domain states are polled while waiting. */
    static final Duration POLL = Duration.ofMillis(500);
    /** The longest a single quick virsh command may take. */
    static final Duration COMMAND = Duration.ofSeconds(30);
    /** Even past the deadline, a command that undoes something gets this long. */
    static final Duration MINIMUM = Duration.ofSeconds(2);

    final Virsh virsh;
    final Clock clock;
    final Sleeper sleeper;
    final Instant deadline;
    private final Consumer<String> report;
    final List<String> warnings = new ArrayList<>();

    PowerRun(Virsh virsh, Clock clock, Sleeper sleeper, Duration budget, Consumer<String> report) {
        this.virsh = virsh;
        this.clock = clock;
        this.sleeper = sleeper;
        this.deadline = clock.instant().plus(budget);
        this.report = report;
    }

    /**
     * Waiting for a domain to reach one of {@code wanted} states.
     *
     * @param deadline when to give up on this domain (the run's deadline caps it)
     */
    record Wait(String uuid, String name, Set<DomainState> wanted, Instant deadline) {
    }

    void info(String line) {
        report.accept(line);
    }

    void warn(String line) {
        warnings.add(line);
        report.accept("warn   " + line);
    }

    Instant now() {
        return clock.instant();
    }

    /** When a wait of {@code duration} from now must end, within the run's deadline. */
    Instant until(Duration duration) {
        Instant own = now().plus(duration);
        return own.isBefore(deadline) ? own : deadline;
    }

    /** Time left in the run, never less than {@link #MINIMUM}. */
    Duration remaining() {
        Duration left = Duration.between(now(), deadline);
        return left.compareTo(MINIMUM) < 0 ? MINIMUM : left;
    }

    /** A quick command's timeout: {@link #COMMAND}, or less when the run ends sooner. */
    Duration commandTimeout() {
        Duration left = remaining();
        return left.compareTo(COMMAND) < 0 ? left : COMMAND;
    }

    boolean pastDeadline() {
        return !now().isBefore(deadline);
    }

    /** The domain's state; {@link DomainState#UNKNOWN} when virsh fails or hangs. */
    DomainState state(String uuid) {
        try {
            return virsh.state(uuid);
        } catch (RuntimeException e) {
            return DomainState.UNKNOWN;
        }
    }

    /**
     * Polls every domain until it reaches a wanted state or its deadline passes.
     *
     * @return for each UUID, true when it got there
     */
    Map<String, Boolean> await(List<Wait> waits) {
        Map<String, Boolean> reached = new LinkedHashMap<>();
        List<Wait> pending = new ArrayList<>(waits);
        while (!pending.isEmpty()) {
            Instant now = now();
            for (var it = pending.iterator(); it.hasNext();) {
                Wait w = it.next();
                if (w.wanted().contains(state(w.uuid()))) {
                    reached.put(w.uuid(), true);
                    it.remove();
                } else if (!now.isBefore(w.deadline()) || !now.isBefore(deadline)) {
                    reached.put(w.uuid(), false);
                    it.remove();
                }
            }
            if (pending.isEmpty()) {
                break;
            }
            Instant next = pending.stream().map(Wait::deadline).min(Instant::compareTo).orElse(deadline);
            Duration pause = Duration.between(now(), next.isBefore(deadline) ? next : deadline);
            try {
                sleeper.sleep(pause.compareTo(POLL) < 0 && !pause.isNegative() && !pause.isZero() ? pause : POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                pending.forEach(w -> reached.put(w.uuid(), false));
                warn("interrupted while waiting for " + pending.size() + " domain(s)");
                break;
            }
        }
        return reached;
    }
}
