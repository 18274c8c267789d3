package io.github.libvirthooks.features.ddcutil;

import io.github.libvirthooks.features.engine.Feature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.FeatureSpec;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.state.JournalEntry;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
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
public final class DdcutilFeature implements Feature {
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
    /** The claim's resource name. */
    static final String RESOURCE = "input";

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
    public String name() {
        return SPEC.name();
    }

    @Override
    public Set<HookOperation> actsOn() {
        return SPEC.events();
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
        Map<String, String> claim = new TreeMap<>(selection(context.options()));
        claim.put("vm-input", options.vmInput().hex());
        Optional<Path> executable = Ddcutil.find(searchPath);
        if (executable.isEmpty()) {
            warn(context, claim, "ddcutil is not installed (apt-get install ddcutil); the monitor stays on its input");
            return;
        }
        Ddcutil ddcutil = new Ddcutil(context.commands(), executable.get(), options);
        Optional<InputSource> shown;
        String readProblem = null;
        try {
            shown = Optional.of(ddcutil.currentInput());
        } catch (DdcutilException e) {
            if (e.missing()) {
                warn(context, claim, e.getMessage() + "; the monitor stays on its input");
                return;
            }
            shown = Optional.empty();
            readProblem = e.getMessage();
        }
        Optional<InputSource> current = shown;
        Optional<InputSource> back = options.hostInput().or(() -> current.filter(c -> !c.equals(options.vmInput())));
        back.ifPresent(b -> claim.put("host-input", b.hex()));
        if (current.isPresent() && current.get().equals(options.vmInput())) {
            claim.put("switched", "no");
            context.claims().record(JournalEntry.claim(NAME, RESOURCE, claim));
            context.report().accept("info   ddcutil: " + ddcutil.monitor() + " already shows input " + options.vmInput());
            return;
        }
        claim.put("switched", "pending");
        // Recorded before the switch: after a crash, release still switches back.
        JournalEntry recorded = JournalEntry.claim(NAME, RESOURCE, claim);
        context.claims().record(recorded);
        try {
            ddcutil.setInput(options.vmInput());
        } catch (DdcutilException e) {
            claim.remove("host-input");
            String why = readProblem == null ? e.getMessage() : readProblem + "; switching anyway failed too: " + e.getMessage();
            claim.put("switched", "no");
            claim.put("warning", why);
            context.claims().update(JournalEntry.claim(NAME, RESOURCE, claim));
            context.report().accept("warn   ddcutil: " + why + "; " + context.domain().name() + " runs, the monitor stays on its input");
            return;
        }
        context.claims().update(recorded.with("switched", "yes"));
        String was = current.isPresent() ? " (was " + current.get() + ")" : " (the input it showed could not be read: " + readProblem + ")";
        context.report().accept("change ddcutil: " + ddcutil.monitor() + " input = " + options.vmInput() + was);
    }

    @Override
    public void undoClaim(JournalEntry claim, FeatureContext context) {
        String hostHex = claim.values().get("host-input");
        if (hostHex == null) {
            context.report().accept("skip   ddcutil: no input to switch back to for " + context.invocation().vmName()
                    + (claim.values().containsKey("warning") ? " (at start: " + claim.values().get("warning") + ")" : ""));
            return;
        }
        Map<String, String> options = new LinkedHashMap<>(selection(claim.values()));
        options.put("vm-input", claim.values().getOrDefault("vm-input", hostHex));
        DdcutilOptions parsed;
        InputSource host;
        try {
            host = InputSource.parse("host-input", hostHex);
            parsed = DdcutilOptions.parse(options);
        } catch (FeatureException e) {
            context.report().accept("warn   ddcutil: damaged claim, cannot switch the monitor back: " + e.getMessage());
            return;
        }
        Optional<Path> executable = Ddcutil.find(searchPath);
        if (executable.isEmpty()) {
            context.report().accept("warn   ddcutil: ddcutil is not installed any more; switch the monitor back to input " + host + " by hand");
            return;
        }
        Ddcutil ddcutil = new Ddcutil(context.commands(), executable.get(), parsed);
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
    private static void warn(FeatureContext context, Map<String, String> claim, String why) {
        claim.put("switched", "no");
        claim.put("warning", why);
        context.claims().record(JournalEntry.claim(NAME, RESOURCE, claim));
        context.report().accept("warn   ddcutil: " + why);
    }

    /** The options that choose the monitor and how to talk to it, as given: kept in the claim for release. */
    private static Map<String, String> selection(Map<String, String> values) {
        Map<String, String> kept = new TreeMap<>();
        for (String key : List.of("display", "bus", "mfg", "model", "serial", "verify", "sleep-multiplier", "timeout")) {
            if (values.containsKey(key)) {
                kept.put(key, values.get(key));
            }
        }
        return kept;
    }
}
