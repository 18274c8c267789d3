package io.github.libvirthooks.features.ddcutil;

import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.engine.ClaimingFeature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.FeatureSpec;
import io.github.libvirthooks.features.engine.SpecifiedFeature;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.HookOperation;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code ddcutil}: once the VM runs, switch the monitor to the VM's input (VCP 0x60 over
 * DDC/CI); at release, switch it back to the host's input.
 *
 * <p>A monitor is a convenience, not a resource the VM needs: a missing {@code ddcutil}, no
 * monitor, or a monitor that does not take the command is a {@code warn} line in the hook log,
 * recorded in the claim that {@code status} shows, and never a failed start or stop. Only bad
 * options fail, at {@code prepare}, before anything happens.
 *
 * <p>The claim (resource {@code input}) holds the monitor selection and the input to switch
 * back to, so release needs neither the options nor the domain XML.
 */
public final class DdcutilFeature implements ClaimingFeature<DdcutilClaim>, SpecifiedFeature {
    public static final String NAME = "ddcutil";
    /** What this feature is: its events and options (the README's table is checked against it). */
    public static final FeatureSpec SPEC = FeatureSpec.named(NAME, "switch the monitor to the VM's input, and back")
            .at(HookOperation.PREPARE, HookOperation.STARTED)
            .option("vm-input", "(required)")
            .option("host-input", "the input shown before the switch")
            .option("display", "ddcutil's first display")
            .option("bus", "")
            .option("mfg", "")
            .option("model", "")
            .option("serial", "")
            .option("verify", "`false`")
            .option("sleep-multiplier", "ddcutil's")
            .option("timeout", "`10s`")
            .build();

    private final String searchPath;

    /** Looks for {@code ddcutil} on the hook's {@code PATH}. */
    public DdcutilFeature() {
        this(System.getenv("PATH"));
    }

    /**
     * @param searchPath where to look for {@code ddcutil}, as a {@code PATH} value (tests put a
     *                   stand-in first); blank for the usual system directories
     */
    public DdcutilFeature(String searchPath) {
        this.searchPath = searchPath;
    }

    @Override
    public FeatureSpec spec() {
        return SPEC;
    }

    @Override
    public ClaimCodec<DdcutilClaim> claimCodec() {
        return DdcutilClaim.CODEC;
    }

    @Override
    public void apply(FeatureContext context) {
        if (context.invocation().operation() == HookOperation.PREPARE) {
            DdcutilOptions.parse(context.options());
            if (Ddcutil.find(searchPath).isEmpty()) {
                context.report().accept("warn   ddcutil: ddcutil is not installed (apt-get install ddcutil); " + context.domain().name()
                        + " will start, the monitor will not switch to its input");
            }
            return;
        }
        DdcutilOptions options;
        try {
            options = DdcutilOptions.parse(context.options());
        } catch (FeatureException e) {
            // The VM already runs; a monitor is not worth stopping it.
            context.report().accept("warn   ddcutil: " + e.getMessage());
            return;
        }
        switchToVm(context, options);
    }

    private void switchToVm(FeatureContext context, DdcutilOptions options) {
        DdcutilClaim unswitched = new DdcutilClaim(selection(context.options()), options.vmInput(), Optional.empty(),
                DdcutilClaim.Switched.NO, Optional.empty());
        Optional<Path> executable = Ddcutil.find(searchPath);
        if (executable.isEmpty()) {
            warn(context, unswitched.notSwitched("ddcutil is not installed (apt-get install ddcutil); the monitor stays on its input"));
            return;
        }
        Ddcutil ddcutil = new Ddcutil(context.commands(), executable.get(), options);
        Optional<InputSource> shown;
        String readProblem = null;
        try {
            shown = Optional.of(ddcutil.currentInput());
        } catch (DdcutilException e) {
            if (e.missing()) {
                warn(context, unswitched.notSwitched(e.getMessage() + "; the monitor stays on its input"));
                return;
            }
            shown = Optional.empty();
            readProblem = e.getMessage();
        }
        Optional<InputSource> current = shown;
        Optional<InputSource> back = options.hostInput().or(() -> current.filter(c -> !c.equals(options.vmInput())));
        DdcutilClaim claim = new DdcutilClaim(unswitched.monitor(), options.vmInput(), back, DdcutilClaim.Switched.NO, Optional.empty());
        if (current.isPresent() && current.get().equals(options.vmInput())) {
            context.claim(DdcutilClaim.CODEC, claim);
            context.report().accept("info   ddcutil: " + ddcutil.monitor() + " already shows input " + options.vmInput());
            return;
        }
        // Recorded before the switch: after a crash, release still switches back.
        context.claim(DdcutilClaim.CODEC, claim.with(DdcutilClaim.Switched.PENDING));
        try {
            ddcutil.setInput(options.vmInput());
        } catch (DdcutilException e) {
            String why = readProblem == null ? e.getMessage() : readProblem + "; switching anyway failed too: " + e.getMessage();
            context.updateClaim(DdcutilClaim.CODEC, claim.notSwitched(why));
            context.report().accept("warn   ddcutil: " + why + "; " + context.domain().name() + " runs, the monitor stays on its input");
            return;
        }
        context.updateClaim(DdcutilClaim.CODEC, claim.with(DdcutilClaim.Switched.YES));
        String was = current.isPresent() ? " (was " + current.get() + ")" : " (the input it showed could not be read: " + readProblem + ")";
        context.report().accept("change ddcutil: " + ddcutil.monitor() + " input = " + options.vmInput() + was);
    }

    @Override
    public void undo(DdcutilClaim claim, FeatureContext context) {
        if (claim.hostInput().isEmpty()) {
            context.report().accept("skip   ddcutil: no input to switch back to for " + context.invocation().vmName()
                    + claim.warning().map(w -> " (at start: " + w + ")").orElse(""));
            return;
        }
        InputSource host = claim.hostInput().get();
        Optional<Path> executable = Ddcutil.find(searchPath);
        if (executable.isEmpty()) {
            context.report().accept("warn   ddcutil: ddcutil is not installed any more; switch the monitor back to input " + host + " by hand");
            return;
        }
        Ddcutil ddcutil = new Ddcutil(context.commands(), executable.get(), claim.options());
        try {
            ddcutil.setInput(host);
        } catch (DdcutilException e) {
            // Never fail the stop path for a monitor: say it, and let the user press the button.
            context.report().accept("warn   ddcutil: " + e.getMessage() + "; switch the monitor to input " + host + " by hand");
            return;
        }
        context.report().accept("undo   ddcutil: " + ddcutil.monitor() + " input = " + host);
    }

    /** The claim of a switch that never happened, so that {@code status} shows why. */
    private static void warn(FeatureContext context, DdcutilClaim claim) {
        context.claim(DdcutilClaim.CODEC, claim);
        context.report().accept("warn   ddcutil: " + claim.warning().orElseThrow());
    }

    /** The options that choose the monitor and how to talk to it, as given: kept in the claim for release. */
    private static Map<String, String> selection(Map<String, String> values) {
        Map<String, String> kept = new TreeMap<>();
        for (String key : DdcutilClaim.MONITOR) {
            if (values.containsKey(key)) {
                kept.put(key, values.get(key));
            }
        }
        return kept;
    }
}
