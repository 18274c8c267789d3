package io.github.libvirthooks.features.hostpower;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.sysfs.hugetlb.Sleeper;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * {@code beforeoff-dohibernate}: when the host powers off or reboots, hibernate the VMs that
 * have it before libvirt's own shutdown handling ({@code libvirt-guests}) or libvirtd stops
 * them. systemd runs it as the stop action of a unit ordered after those services, so that it
 * stops first.
 *
 * <p>Because a unit is also stopped by hand ({@code systemctl stop}), it acts only while systemd
 * says the system is stopping, unless forced.
 */
public final class HostShutdown {
    /** Default budget; the unit's {@code TimeoutStopSec} is larger. */
    public static final Duration DEFAULT_BUDGET = Duration.ofSeconds(240);

    private final Virsh virsh;
    private final CommandRunner commands;
    private final Path stateDir;
    private final BiFunction<String, Domain, Map<String, Map<String, String>>> enabledFeatures;
    private final Clock clock;
    private final Sleeper sleeper;

    public HostShutdown(Virsh virsh, CommandRunner commands, Path stateDir,
            BiFunction<String, Domain, Map<String, Map<String, String>>> enabledFeatures, Clock clock, Sleeper sleeper) {
        this.virsh = virsh;
        this.commands = commands;
        this.stateDir = stateDir;
        this.enabledFeatures = enabledFeatures;
        this.clock = clock;
        this.sleeper = sleeper;
    }

    /**
     * Hibernates every running VM with {@code beforeoff-dohibernate} within {@code budget}.
     *
     * @param force act even when systemd does not say the system is stopping (by hand, or without systemd)
     */
    public HostPowerResult run(Duration budget, boolean force, Consumer<String> report) {
        PowerRun run = new PowerRun(virsh, clock, sleeper, budget, report);
        if (!force) {
            String state = systemState();
            if (!state.equals("stopping")) {
                run.info("info   the host is not shutting down (systemctl is-system-running: " + state
                        + "); nothing to do (--force hibernates now)");
                return new HostPowerResult(List.of(), List.of());
            }
        }
        try (HostPowerLock lock = HostPowerLock.take(stateDir, budget, clock, sleeper)) {
            List<Hibernation.Target> targets = new ArrayList<>();
            for (Guest g : Guest.discover(virsh, enabledFeatures, List.of(HibernateOptions.SHUTDOWN_FEATURE), run)) {
                try {
                    HibernateOptions options = HibernateOptions.parse(HibernateOptions.SHUTDOWN_FEATURE,
                            g.features().get(HibernateOptions.SHUTDOWN_FEATURE));
                    DomainState state = run.state(g.uuid());
                    if (state == DomainState.RUNNING) {
                        targets.add(new Hibernation.Target(g, options));
                    } else {
                        run.info("skip   " + g.name() + ": is " + state.word() + ", left to libvirt's own shutdown handling");
                    }
                } catch (RuntimeException e) {
                    run.warn(g.name() + ": " + e.getMessage() + "; left to libvirt's own shutdown handling");
                }
            }
            if (targets.isEmpty()) {
                run.info("info   no running VM has beforeoff-dohibernate; nothing to do before the host powers off");
            }
            new Hibernation(run, (t, action) -> { }).hibernate(targets);
            return new HostPowerResult(targets.stream().map(t -> t.guest().name()).toList(), run.warnings);
        }
    }

    private String systemState() {
        try {
            CommandResult r = commands.run(List.of("systemctl", "is-system-running"), Duration.ofSeconds(10));
            String out = r.stdout().strip();
            return out.isEmpty() ? "unknown" : out;
        } catch (RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }
}
