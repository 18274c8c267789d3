package io.github.libvirthooks.features.ddcutil;

import io.github.libvirthooks.features.engine.FeatureException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A value of VCP feature 0x60 (Input Source): the monitor input to show.
 *
 * <p>Names follow the MCCS 2.2 table that ddcutil prints ({@code ddcutil vcpinfo 60 --verbose}):
 * {@code vga1}=0x01 ... {@code hdmi2}=0x12. Many monitors use their own values (USB-C has none
 * in MCCS; some models report DisplayPort as 0x0f but want 0x06); for those, give the hex value
 * that {@code ddcutil capabilities} lists.
 *
 * @param value the byte written with {@code setvcp 60}, 0..255
 */
public record InputSource(int value) {
    /** The MCCS 2.2 names, lower case without separators, in value order. */
    static final Map<String, Integer> NAMES = names();

    public InputSource {
        if (value < 0 || value > 0xff) {
            throw new IllegalArgumentException("VCP 0x60 value " + value + " is not a byte");
        }
    }

    /**
     * Parses {@code 0x11}, {@code hdmi1}, {@code HDMI-1}, {@code dp1}, {@code displayport1}, ...
     *
     * @throws FeatureException naming the option, the text and what is allowed
     */
    static InputSource parse(String option, String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.matches("0x[0-9a-f]{1,2}")) {
            return new InputSource(Integer.parseInt(t.substring(2), 16));
        }
        String key = t.replace("-", "").replace("_", "").replace(" ", "");
        key = key.replace("displayport", "dp");
        Integer value = NAMES.get(key);
        if (value != null) {
            return new InputSource(value);
        }
        if (key.startsWith("usbc") || key.startsWith("typec") || key.startsWith("thunderbolt")) {
            throw new FeatureException("ddcutil " + option + " '" + text + "': USB-C has no standard VCP 0x60 value; run"
                    + " 'ddcutil capabilities' and give the value your monitor lists, e.g. 0x1b");
        }
        throw new FeatureException("invalid ddcutil " + option + " '" + text + "': use a hex value such as 0x0f, or one of "
                + String.join(", ", NAMES.keySet()));
    }

    /** The MCCS name of this value, when it has one. */
    public Optional<String> name() {
        return NAMES.entrySet().stream().filter(e -> e.getValue() == value).map(Map.Entry::getKey).findFirst();
    }

    /** The value as ddcutil's {@code setvcp} takes it: {@code 0x0f}. */
    public String hex() {
        return String.format(Locale.ROOT, "0x%02x", value);
    }

    @Override
    public String toString() {
        return hex() + name().map(n -> " (" + n + ")").orElse("");
    }

    private static Map<String, Integer> names() {
        Map<String, Integer> names = new LinkedHashMap<>();
        names.put("vga1", 0x01);
        names.put("vga2", 0x02);
        names.put("dvi1", 0x03);
        names.put("dvi2", 0x04);
        names.put("composite1", 0x05);
        names.put("composite2", 0x06);
        names.put("svideo1", 0x07);
        names.put("svideo2", 0x08);
        names.put("tuner1", 0x09);
        names.put("tuner2", 0x0a);
        names.put("tuner3", 0x0b);
        names.put("component1", 0x0c);
        names.put("component2", 0x0d);
        names.put("component3", 0x0e);
        names.put("dp1", 0x0f);
        names.put("dp2", 0x10);
        names.put("hdmi1", 0x11);
        names.put("hdmi2", 0x12);
        return java.util.Collections.unmodifiableMap(names);
    }
}
