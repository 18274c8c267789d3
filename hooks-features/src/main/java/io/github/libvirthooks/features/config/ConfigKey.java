package io.github.libvirthooks.features.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The shape of a key under {@code libvirt-hooks.}: checked before SmallRye sees it, so that a
 * mistyped key gets a message that names the key and the keys that exist.
 */
final class ConfigKey {
    /** Host-wide keys below the prefix, with the text of their built-in default. */
    static final List<String> HOST_WIDE = List.of("host-root", "state-dir", "lock-timeout", "hugepages.default-size",
            "hugepages.timeout");

    private ConfigKey() {
    }

    /** The full property name of a host-wide key. */
    static String hostWide(String key) {
        return HooksConfig.PREFIX + "." + key;
    }

    /** The full property name of a per-VM option, with the VM name quoted when it must be. */
    static String vm(String vmName, String feature, String option) {
        return HooksConfig.PREFIX + ".vm." + quote(vmName) + "." + feature + "." + option;
    }

    /** The full property name of an option for every VM. */
    static String allVms(String feature, String option) {
        return HooksConfig.PREFIX + ".all-vms." + feature + "." + option;
    }

    /**
     * A map key as SmallRye reads it back: quoted (with {@code \} escapes) when it holds a dot,
     * a quote or a backslash, as is otherwise.
     */
    static String quote(String name) {
        if (name.indexOf('.') < 0 && name.indexOf('"') < 0 && name.indexOf('\\') < 0) {
            return name;
        }
        return '"' + name.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    /**
     * Why {@code name} (a key starting with the prefix) is not a key libvirt-hooks knows, or
     * empty when it is one.
     */
    static Optional<String> problem(String name) {
        List<String> segments = segments(name.substring(HooksConfig.PREFIX.length() + 1));
        if (segments.isEmpty()) {
            return Optional.of(unknown());
        }
        String rest = String.join(".", segments);
        if (HOST_WIDE.contains(rest)) {
            return Optional.empty();
        }
        if (segments.get(0).equals("all-vms")) {
            return featureAndOption(segments.subList(1, segments.size()), "libvirt-hooks.all-vms.<feature>.<option>", name);
        }
        if (segments.get(0).equals("vm")) {
            if (segments.size() > 4) {
                // a VM name with dots, unquoted: point at the feature to suggest the quoted form
                for (int i = 2; i < segments.size() - 1; i++) {
                    if (io.github.libvirthooks.features.engine.FeatureCatalog.builtInNames().contains(segments.get(i))) {
                        String vm = String.join(".", segments.subList(1, i));
                        return Optional.of("quote VM names that contain dots, e.g. " + vm(vm, segments.get(i),
                                String.join(".", segments.subList(i + 1, segments.size()))));
                    }
                }
            }
            if (segments.size() < 2) {
                return Optional.of("expected libvirt-hooks.vm.\"<vm-name>\".<feature>.<option>");
            }
            return featureAndOption(segments.subList(2, segments.size()), "libvirt-hooks.vm.\"<vm-name>\".<feature>.<option>", name);
        }
        return Optional.of(unknown());
    }

    private static Optional<String> featureAndOption(List<String> segments, String shape, String name) {
        if (segments.isEmpty()) {
            return Optional.of("expected " + shape);
        }
        if (!io.github.libvirthooks.features.engine.FeatureCatalog.builtInNames().contains(segments.get(0))) {
            return Optional.of("unknown feature '" + segments.get(0) + "'; known features: " + String.join(", ", io.github.libvirthooks.features.engine.FeatureCatalog.builtInNames()));
        }
        if (segments.size() < 2) {
            return Optional.of("a feature takes options, not a value: write " + name + "." + HooksConfig.ENABLED + "=true");
        }
        return Optional.empty();
    }

    private static String unknown() {
        return "known keys: libvirt-hooks." + String.join(", libvirt-hooks.", HOST_WIDE)
                + ", libvirt-hooks.all-vms.<feature>.<option> and libvirt-hooks.vm.\"<vm-name>\".<feature>.<option>";
    }

    /** Splits at dots outside double quotes; inside quotes a backslash escapes the next character. */
    static List<String> segments(String name) {
        List<String> segments = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (quoted && c == '\\' && i + 1 < name.length()) {
                current.append(name.charAt(++i));
            } else if (c == '"' && (quoted || current.length() == 0)) {
                quoted = !quoted;
            } else if (c == '.' && !quoted) {
                segments.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        segments.add(current.toString());
        return segments;
    }

    /** The environment variable name SmallRye matches a property name with. */
    static String envName(String name) {
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            sb.append(Character.isLetterOrDigit(c) ? c : '_');
        }
        return sb.toString().toUpperCase(Locale.ROOT);
    }

    /**
     * True when an environment variable starting with {@code LIBVIRT_HOOKS_} can be one of our
     * keys. Per-VM names are not recoverable from variable names, so only their shape is checked.
     */
    static boolean isKnownEnvName(String env) {
        for (String key : HOST_WIDE) {
            if (env.equals(envName(hostWide(key)))) {
                return true;
            }
        }
        String allVms = envName(HooksConfig.PREFIX + ".all-vms.");
        String vm = envName(HooksConfig.PREFIX + ".vm.");
        for (String feature : io.github.libvirthooks.features.engine.FeatureCatalog.builtInNames()) {
            String f = envName(feature) + "_";
            if (env.startsWith(allVms + f) && env.length() > (allVms + f).length()) {
                return true;
            }
            if (env.startsWith(vm) && !env.startsWith(allVms)) {
                int at = env.indexOf("_" + f, vm.length());
                if (at > vm.length() && env.length() > at + f.length() + 1) {
                    return true;
                }
            }
        }
        return false;
    }
}
