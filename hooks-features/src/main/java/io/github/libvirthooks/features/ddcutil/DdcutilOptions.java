package io.github.libvirthooks.features.ddcutil;

import io.github.libvirthooks.features.config.Durations;
import io.github.libvirthooks.features.engine.FeatureException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The options of {@code ddcutil}, checked at {@code prepare} before anything changes.
 *
 * @param display         ddcutil's display selection arguments ({@code --display=2}, {@code --bus=4},
 *                        {@code --mfg=DEL --model=U3011}); empty for ddcutil's first display
 * @param vmInput         the input to show while the VM runs
 * @param hostInput       the input to show after the VM stops; empty: the one shown before the switch
 * @param verify          true to let ddcutil read the value back after {@code setvcp}
 * @param sleepMultiplier ddcutil's {@code --sleep-multiplier}, for slow or flaky monitors
 * @param timeout         the longest one ddcutil call may take
 */
record DdcutilOptions(List<String> display, InputSource vmInput, Optional<InputSource> hostInput, boolean verify,
        Optional<String> sleepMultiplier, Duration timeout) {

    static final List<String> NAMES = List.copyOf(DdcutilFeature.SPEC.optionNames());
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    DdcutilOptions {
        display = List.copyOf(display);
    }

    /** Parses and checks the options, naming the bad key, its value and what is allowed. */
    static DdcutilOptions parse(Map<String, String> options) {
        List<String> unknown = new ArrayList<>(options.keySet());
        unknown.removeAll(Set.copyOf(NAMES));
        if (!unknown.isEmpty()) {
            throw new FeatureException("unknown option '" + unknown.get(0) + "'; ddcutil takes: " + String.join(", ", NAMES));
        }
        List<String> display = new ArrayList<>();
        boolean byNumber = options.containsKey("display");
        boolean byBus = options.containsKey("bus");
        boolean byEdid = options.containsKey("mfg") || options.containsKey("model") || options.containsKey("serial");
        if ((byNumber ? 1 : 0) + (byBus ? 1 : 0) + (byEdid ? 1 : 0) > 1) {
            throw new FeatureException("ddcutil: choose the monitor one way: display, or bus, or mfg/model/serial (these three combine)");
        }
        if (byNumber) {
            display.add("--display=" + number(options, "display", 1, 99));
        }
        if (byBus) {
            display.add("--bus=" + number(options, "bus", 0, 1023));
        }
        if (options.containsKey("mfg")) {
            String mfg = options.get("mfg");
            if (!mfg.matches("[A-Za-z]{3}")) {
                throw new FeatureException("invalid ddcutil mfg '" + mfg + "': the 3-letter EDID manufacturer id, e.g. DEL");
            }
            display.add("--mfg=" + mfg);
        }
        for (String[] edid : new String[][] {{"model", "--model="}, {"serial", "--sn="}}) {
            if (options.containsKey(edid[0])) {
                display.add(edid[1] + edidText(edid[0], options.get(edid[0])));
            }
        }
        if (!options.containsKey("vm-input")) {
            throw new FeatureException("ddcutil needs vm-input: the monitor input the VM's GPU is plugged into, e.g. vm-input=\"hdmi1\""
                    + " or a hex value from 'ddcutil capabilities'");
        }
        InputSource vmInput = InputSource.parse("vm-input", options.get("vm-input"));
        Optional<InputSource> hostInput = options.containsKey("host-input")
                ? Optional.of(InputSource.parse("host-input", options.get("host-input"))) : Optional.empty();
        if (hostInput.isPresent() && hostInput.get().equals(vmInput)) {
            throw new FeatureException("ddcutil vm-input and host-input are both " + vmInput + "; give the host's own input,"
                    + " or leave host-input out to switch back to whatever was shown before");
        }
        boolean verify = switch (options.getOrDefault("verify", "false")) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new FeatureException("invalid ddcutil verify '" + options.get("verify") + "': use true or false");
        };
        Optional<String> sleep = Optional.ofNullable(options.get("sleep-multiplier"));
        if (sleep.isPresent() && (!sleep.get().matches("(0|[1-9][0-9]?)(\\.[0-9]{1,3})?") || Double.parseDouble(sleep.get()) <= 0)) {
            throw new FeatureException("invalid ddcutil sleep-multiplier '" + sleep.get() + "': a positive number such as 1.5 or 0.5");
        }
        return new DdcutilOptions(display, vmInput, hostInput, verify, sleep, timeout(options));
    }

    /** The monitor, as the user chose it, for messages. */
    String monitor() {
        return display.isEmpty() ? "the first display ddcutil finds" : String.join(" ", display);
    }

    private static long number(Map<String, String> options, String name, long min, long max) {
        String text = options.get(name);
        if (!text.matches("[0-9]{1,4}") || Long.parseLong(text) < min || Long.parseLong(text) > max) {
            throw new FeatureException("invalid ddcutil " + name + " '" + text + "': a number from " + min + " to " + max
                    + " as 'ddcutil detect' shows it");
        }
        return Long.parseLong(text);
    }

    /** EDID model and serial strings are at most 13 printable characters; a leading dash would read as an option. */
    private static String edidText(String name, String text) {
        if (text.isEmpty() || text.length() > 32 || text.startsWith("-") || !text.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            throw new FeatureException("invalid ddcutil " + name + " '" + text + "': the monitor's EDID " + name
                    + " as 'ddcutil detect' shows it (printable ASCII, not starting with '-')");
        }
        return text;
    }

    private static Duration timeout(Map<String, String> options) {
        String text = options.get("timeout");
        if (text == null) {
            return DEFAULT_TIMEOUT;
        }
        return Durations.option("ddcutil timeout", text, Duration.ofSeconds(1), Duration.ofSeconds(999), "");
    }
}
