package io.github.libvirthooks.features.gpuhandoff;

import io.github.libvirthooks.features.config.Durations;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.pci.PciAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The options of {@code gpu-handoff}, checked before anything changes.
 *
 * @param devices           the PCI functions to hand over; empty: the VM's {@code <hostdev type='pci'>}s
 * @param displayManager    the unit that draws the host's screen on the GPU
 * @param stopUserSessions  also stop the user units that keep a compositor on the GPU after the display manager stopped
 * @param unloadModules     unload the GPU driver's modules after the unbind (and load them back at release)
 * @param timeout           the limit on each stop, unbind and modprobe
 */
record GpuHandoffOptions(List<PciAddress> devices, String displayManager, boolean stopUserSessions, boolean unloadModules,
        Duration timeout) {
    static final String DEFAULT_DISPLAY_MANAGER = "display-manager.service";
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_DEVICES = 32;

    GpuHandoffOptions {
        devices = List.copyOf(devices);
    }

    static GpuHandoffOptions parse(Map<String, String> options) {
        List<String> unknown = new ArrayList<>(options.keySet());
        unknown.removeAll(GpuHandoffFeature.SPEC.optionNames());
        if (!unknown.isEmpty()) {
            throw new FeatureException("unknown option '" + unknown.get(0) + "' for gpu-handoff; it takes: "
                    + String.join(", ", GpuHandoffFeature.SPEC.optionNames()));
        }
        List<PciAddress> devices = new ArrayList<>();
        String list = options.getOrDefault("devices", "").strip();
        if (!list.isEmpty()) {
            for (String part : list.split(",", -1)) {
                try {
                    PciAddress a = PciAddress.parse(part);
                    if (!devices.contains(a)) {
                        devices.add(a);
                    }
                } catch (IllegalArgumentException e) {
                    throw new FeatureException("invalid gpu-handoff devices '" + abbreviate(list) + "': " + e.getMessage());
                }
            }
            if (devices.size() > MAX_DEVICES) {
                throw new FeatureException("invalid gpu-handoff devices: more than " + MAX_DEVICES + " functions");
            }
        }
        String unit = options.getOrDefault("display-manager", DEFAULT_DISPLAY_MANAGER).strip();
        if (!GpuHandoffClaim.isUnit(unit) || !unit.endsWith(".service")) {
            throw new FeatureException("invalid gpu-handoff display-manager '" + abbreviate(unit)
                    + "': a systemd service name such as display-manager.service or gdm.service");
        }
        Duration timeout = Durations.option("gpu-handoff timeout", options.getOrDefault("timeout", "10s"), Duration.ofSeconds(1),
                Duration.ofMinutes(10), "");
        return new GpuHandoffOptions(devices, unit, bool(options, "stop-user-sessions"), bool(options, "unload-modules"), timeout);
    }

    private static boolean bool(Map<String, String> options, String name) {
        String v = options.getOrDefault(name, "false").strip().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new FeatureException("invalid gpu-handoff " + name + " '" + abbreviate(v) + "': true or false");
        };
    }

    static String abbreviate(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().limit(60).forEach(c -> out.appendCodePoint(c < 0x20 || c == 0x7f ? '?' : c));
        return s.length() > 60 ? out + "..." : out.toString();
    }
}
