package io.github.libvirthooks.features.ddcutil;

import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.engine.FeatureException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The monitor a VM switched to its input, and the input to switch it back to, so that release
 * needs neither the options nor the domain XML.
 *
 * @param monitor   the options that choose the monitor and how to talk to it, as the user gave them
 *                  ({@code display}, {@code bus}, {@code mfg}, {@code model}, {@code serial}, {@code verify},
 *                  {@code sleep-multiplier}, {@code timeout})
 * @param vmInput   the input the VM's GPU is on
 * @param hostInput the input to switch back to at release; empty: nothing to switch back to
 * @param switched  whether the switch happened
 * @param warning   why the monitor was not switched, for {@code status}
 */
public record DdcutilClaim(Map<String, String> monitor, InputSource vmInput, Optional<InputSource> hostInput, Switched switched,
        Optional<String> warning) {
    /** The claim's one resource: a VM switches one monitor's input. */
    static final String RESOURCE = "input";
    /** The options of {@code monitor}. */
    static final List<String> MONITOR = List.of("display", "bus", "mfg", "model", "serial", "verify", "sleep-multiplier", "timeout");

    /** How this claim is kept in the journal. */
    public static final ClaimCodec<DdcutilClaim> CODEC = new Codec();

    /** Whether the monitor was switched to the VM's input. */
    public enum Switched {
        /** Not switched: the monitor showed the VM's input already, or could not be switched. */
        NO,
        /** Recorded before the switch: a crash may have left it either way, so release switches back. */
        PENDING,
        /** Switched. */
        YES;

        String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public DdcutilClaim {
        monitor = java.util.Collections.unmodifiableMap(new TreeMap<>(monitor));
        Objects.requireNonNull(vmInput, "vmInput");
        Objects.requireNonNull(hostInput, "hostInput");
        Objects.requireNonNull(switched, "switched");
        Objects.requireNonNull(warning, "warning");
        if (!MONITOR.containsAll(monitor.keySet())) {
            throw new IllegalArgumentException("a monitor is chosen by " + String.join(", ", MONITOR) + ", not " + monitor.keySet());
        }
    }

    /** This claim with {@code switched} replaced. */
    DdcutilClaim with(Switched now) {
        return new DdcutilClaim(monitor, vmInput, hostInput, now, warning);
    }

    /** This claim for a switch that did not happen, and why: nothing to switch back at release. */
    DdcutilClaim notSwitched(String why) {
        return new DdcutilClaim(monitor, vmInput, Optional.empty(), Switched.NO, Optional.of(why));
    }

    /** The options to talk to the monitor with at release. */
    DdcutilOptions options() {
        Map<String, String> options = new LinkedHashMap<>(monitor);
        options.put("vm-input", vmInput.hex());
        return DdcutilOptions.parse(options);
    }

    /**
     * Journal keys, as 0.1.0 writes them: the monitor options under their own names,
     * {@code vm-input} and {@code host-input} in hex, {@code switched} ({@code no},
     * {@code pending}, {@code yes}) and {@code warning}.
     */
    private static final class Codec implements ClaimCodec<DdcutilClaim> {
        @Override
        public String feature() {
            return DdcutilFeature.NAME;
        }

        @Override
        public String resource(DdcutilClaim claim) {
            return RESOURCE;
        }

        @Override
        public Map<String, String> encode(DdcutilClaim claim) {
            Map<String, String> values = new TreeMap<>(claim.monitor());
            values.put("vm-input", claim.vmInput().hex());
            claim.hostInput().ifPresent(h -> values.put("host-input", h.hex()));
            values.put("switched", claim.switched().word());
            claim.warning().ifPresent(w -> values.put("warning", w));
            return values;
        }

        @Override
        public DdcutilClaim decode(String resource, Map<String, String> values) {
            if (!resource.equals(RESOURCE)) {
                throw new IllegalArgumentException("claim resource '" + resource + "' is not " + RESOURCE);
            }
            Map<String, String> monitor = new TreeMap<>();
            MONITOR.stream().filter(values::containsKey).forEach(k -> monitor.put(k, values.get(k)));
            Optional<InputSource> host = values.containsKey("host-input") ? Optional.of(input(values, "host-input")) : Optional.empty();
            DdcutilClaim claim = new DdcutilClaim(monitor, input(values, "vm-input"), host, switched(values),
                    Optional.ofNullable(values.get("warning")));
            try {
                claim.options();
            } catch (FeatureException e) {
                throw new IllegalArgumentException("claim's monitor options cannot be used: " + e.getMessage(), e);
            }
            return claim;
        }

        @Override
        public Map<String, String> describe(DdcutilClaim claim) {
            Map<String, String> shown = new LinkedHashMap<>(claim.monitor());
            shown.put("vm input", claim.vmInput().toString());
            claim.hostInput().ifPresent(h -> shown.put("host input", h.toString()));
            shown.put("switched", claim.switched().word());
            claim.warning().ifPresent(w -> shown.put("warning", w));
            return shown;
        }

        /** An input as the journal keeps it: hex only, never a name that a later release might read otherwise. */
        private static InputSource input(Map<String, String> values, String name) {
            String text = ClaimCodec.required(values, name);
            if (!text.matches("0x[0-9a-f]{2}")) {
                throw new IllegalArgumentException("claim value " + name + "='" + text + "' is not a VCP 0x60 value such as 0x0f");
            }
            return new InputSource(Integer.parseInt(text.substring(2), 16));
        }

        private static Switched switched(Map<String, String> values) {
            String word = ClaimCodec.required(values, "switched");
            for (Switched s : Switched.values()) {
                if (s.word().equals(word)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("claim value switched='" + word + "' is none of no, pending, yes");
        }
    }
}
