package io.github.libvirthooks.features.service;

import io.github.libvirthooks.features.config.Durations;
import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.engine.ClaimingFeature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.FeatureSpec;
import io.github.libvirthooks.features.engine.SpecifiedFeature;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.sysfs.exec.CommandException;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code service}: a systemd template unit per VM, like the original project's set-service. At its
 * event ({@code prepare} unless {@code event} says {@code start} or {@code started}) the hook runs
 * {@code systemctl start <unit>@<escaped VM name>.service}; at release (and by {@code restore}) it
 * runs {@code systemctl stop} on it. The unit is journaled as a claim before it starts, so a crash
 * in between still stops it, and {@code status} lists it. Without systemd the feature says so and
 * does nothing.
 *
 * <p>Options: {@code unit} (the template, e.g. {@code scream} or {@code scream@.service}; several
 * separated by commas), {@code event}, {@code failure} ({@code abort}: a unit that fails to start
 * aborts the VM's start where libvirt allows it; {@code warn}) and {@code timeout} (for each
 * systemctl call, default 90s like systemd's own start timeout).
 */
public final class ServiceFeature implements ClaimingFeature<ServiceClaim>, SpecifiedFeature {
    public static final String NAME = "service";
    /** What this feature is: its events and options (the README's table is checked against it). */
    public static final FeatureSpec SPEC = FeatureSpec.named(NAME, "start a systemd template unit per VM, stop it at release")
            .at(HookOperation.PREPARE, HookOperation.START, HookOperation.STARTED)
            .option("unit", "(required)")
            .option("event", "`prepare`")
            .option("failure", "`abort`")
            .option("timeout", "`90s`")
            .build();
    /** Exists when systemd runs as PID 1 (sd_booted). */
    static final String SYSTEMD_RUNTIME = "/run/systemd/system";
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(90);
    private static final Set<String> OPTIONS = SPEC.optionNames();

    /** The feature's options, checked. */
    record Options(List<TemplateUnit> units, HookOperation event, boolean abort, Duration timeout) {
    }

    @Override
    public FeatureSpec spec() {
        return SPEC;
    }

    @Override
    public ClaimCodec<ServiceClaim> claimCodec() {
        return ServiceClaim.CODEC;
    }

    @Override
    public void apply(FeatureContext context) {
        Options options = options(context.options());
        if (context.invocation().operation() != options.event()) {
            return;
        }
        String vm = context.domain().name();
        if (!context.claimedHost().exists(SYSTEMD_RUNTIME)) {
            context.report().accept("warn   service: systemd is not the init system (no " + SYSTEMD_RUNTIME + "), so "
                    + String.join(", ", options.units().stream().map(u -> u.instanceFor(vm)).toList()) + " cannot run for " + vm
                    + "; skipped");
            return;
        }
        boolean abort = options.abort() && context.invocation().operation().abortsOnFailure();
        for (TemplateUnit template : options.units()) {
            String unit = template.instanceFor(vm);
            // Recorded first: if the hook dies after starting the unit, release still stops it.
            context.claim(ServiceClaim.CODEC, new ServiceClaim(unit, template, options.timeout()));
            String why;
            try {
                CommandResult r = context.commands().run(List.of("systemctl", "start", "--", unit), options.timeout());
                if (r.succeeded()) {
                    context.report().accept("claim  service: started " + unit + " for " + vm + "; stopped at release");
                    continue;
                }
                why = firstLine(r);
            } catch (CommandException e) {
                why = e.getMessage();
            }
            String what = "service: cannot start " + unit + " (" + why + "); see 'systemctl status " + unit + "' and"
                    + " 'journalctl -u " + unit + "'";
            if (abort) {
                throw new FeatureException(what);
            }
            context.report().accept("warn   " + what);
        }
    }

    @Override
    public void undo(ServiceClaim claim, FeatureContext context) {
        String unit = claim.unit();
        if (!context.host().exists(SYSTEMD_RUNTIME)) {
            context.report().accept("undo   service: systemd is not running, " + unit + " is gone with it");
            return;
        }
        // "--": a unit name is never an option, even one a journal of an older release recorded.
        CommandResult r = context.commands().run(List.of("systemctl", "stop", "--", unit), claim.timeout());
        if (!r.succeeded() && !r.stderr().contains("not loaded")) {
            throw new FeatureException("service: cannot stop " + unit + " (" + firstLine(r) + "); stop it with 'systemctl stop "
                    + unit + "'");
        }
        context.report().accept("undo   service: stopped " + unit);
    }

    static Options options(Map<String, String> options) {
        for (String key : options.keySet()) {
            if (!OPTIONS.contains(key)) {
                throw new FeatureException("unknown option '" + key + "' for service; it takes: unit, event, failure, timeout");
            }
        }
        String unitText = options.getOrDefault("unit", "").strip();
        if (unitText.isEmpty()) {
            throw new FeatureException("service needs unit: the systemd template to start for the VM, e.g. <service unit=\"scream\"/>"
                    + " for scream@<vm>.service");
        }
        List<TemplateUnit> units = new ArrayList<>();
        for (String part : unitText.split(",")) {
            units.add(TemplateUnit.parse(part));
        }
        String eventText = options.getOrDefault("event", "prepare").strip().toLowerCase(Locale.ROOT);
        HookOperation event = switch (eventText) {
            case "prepare", "prepare begin" -> HookOperation.PREPARE;
            case "start", "start begin" -> HookOperation.START;
            case "started", "started begin" -> HookOperation.STARTED;
            default -> throw new FeatureException("invalid service event '" + options.get("event") + "': prepare, start or started"
                    + " (the unit is stopped at release)");
        };
        String failure = options.getOrDefault("failure", "abort").strip().toLowerCase(Locale.ROOT);
        if (!failure.equals("abort") && !failure.equals("warn")) {
            throw new FeatureException("invalid service failure '" + options.get("failure") + "': abort or warn");
        }
        Duration timeout = DEFAULT_TIMEOUT;
        if (options.containsKey("timeout")) {
            timeout = Durations.option("service timeout", options.get("timeout"), Duration.ofSeconds(1), Duration.ofSeconds(600), "");
        }
        return new Options(units, event, failure.equals("abort"), timeout);
    }

    private static String firstLine(CommandResult r) {
        String text = r.stderr().isBlank() ? r.stdout() : r.stderr();
        String line = text.strip().lines().findFirst().orElse("");
        return r.argv().get(0) + " exited with status " + r.exitCode() + (line.isEmpty() ? "" : ": " + line);
    }
}
