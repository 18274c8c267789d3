package io.github.libvirthooks.features.nosleep;

import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.engine.ClaimingFeature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.FeatureSpec;
import io.github.libvirthooks.features.engine.SpecifiedFeature;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.engine.SystemdHost;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code nosleep}: while the VM runs, the host cannot sleep. At {@code prepare} a logind
 * inhibitor ({@code systemd-inhibit --what=sleep --mode=block}, who {@code libvirt-hooks}, why
 * naming the VM) is taken by a transient systemd service,
 * {@code libvirt-hooks-nosleep-<escaped name>.service}; at {@code release} (and by
 * {@code restore}) the service is stopped, which releases it. Visible in
 * {@code systemd-inhibit --list}.
 *
 * <p>A transient unit rather than an installed template: the hook needs nothing installed
 * beside itself, and the command, who and why are in the unit as started
 * ({@code systemctl status} shows them). Without systemd there is no logind to hold the
 * inhibitor: the feature refuses the start (see {@link SystemdHost}).
 *
 * <p>Options: {@code what} (the logind locks to take, colon-separated, default {@code sleep};
 * e.g. {@code sleep:idle:handle-lid-switch}).
 */
public final class NosleepFeature implements ClaimingFeature<NosleepClaim>, SpecifiedFeature {
    public static final String NAME = "nosleep";
    /** What this feature is: its events and options (the README's table is checked against it). */
    public static final FeatureSpec SPEC = FeatureSpec.named(NAME, "keep the host awake while the VM runs")
            .at(HookOperation.PREPARE)
            .option("what", "`sleep`")
            .build();
    static final String SYSTEMD_RUNTIME = SystemdHost.RUNTIME;
    static final Set<String> LOCKS = Set.of("shutdown", "sleep", "idle", "handle-power-key", "handle-suspend-key",
            "handle-hibernate-key", "handle-lid-switch", "handle-reboot-key");

    @Override
    public FeatureSpec spec() {
        return SPEC;
    }

    @Override
    public ClaimCodec<NosleepClaim> claimCodec() {
        return NosleepClaim.CODEC;
    }

    @Override
    public void apply(FeatureContext context) {
        String what = what(context.options());
        String vm = context.domain().name();
        SystemdHost.require(context, NAME, "logind's sleep inhibitor");
        String unit = SleepInhibitor.unitName(vm);
        // Recorded first: if the hook dies after starting the unit, release still stops it.
        context.claim(NosleepClaim.CODEC, new NosleepClaim(unit, what));
        new SleepInhibitor(context.commands()).hold(unit, vm, what);
        context.report().accept("claim  nosleep: " + unit + " holds a " + what + " inhibitor while " + vm + " runs");
    }

    @Override
    public void undo(NosleepClaim claim, FeatureContext context) {
        if (!context.host().exists(SYSTEMD_RUNTIME)) {
            context.report().accept("undo   nosleep: systemd is not running, " + claim.unit() + " is gone with it");
            return;
        }
        new SleepInhibitor(context.commands()).release(claim.unit());
        context.report().accept("undo   nosleep: stopped " + claim.unit() + ", the host may sleep again");
    }

    static String what(Map<String, String> options) {
        List<String> unknown = new ArrayList<>(options.keySet());
        unknown.removeAll(SPEC.optionNames());
        if (!unknown.isEmpty()) {
            throw new FeatureException("unknown option '" + unknown.get(0) + "' for nosleep; it takes: "
                    + String.join(", ", SPEC.optionNames()));
        }
        String what = options.getOrDefault("what", "sleep").strip();
        for (String lock : what.split(":", -1)) {
            if (!LOCKS.contains(lock)) {
                throw new FeatureException("invalid nosleep what '" + what + "': a colon-separated list of "
                        + String.join(", ", new java.util.TreeSet<>(LOCKS)));
            }
        }
        return what;
    }
}
