package io.github.libvirthooks.features.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The configuration of the common case without SmallRye Config: nothing set but, at most,
 * {@code host-root} and {@code state-dir} as plain absolute paths. A hook process pays about a
 * hundred milliseconds at every event to build SmallRye's machinery; for this case its answer is
 * known (the built-in defaults, those two paths), and {@code ConfigLoaderTest} checks that both
 * answer the same. Anything else (another key, a value SmallRye might expand or trim, a variable
 * SmallRye reads) goes to SmallRye as before.
 */
final class PlainConfig {
    /** Values no SmallRye rule changes: no blanks, no {@code ${}} expressions, no escapes, no commas. */
    private static final Map<String, String> DEFAULTS = Map.of("host-root", "/", "state-dir", "/run/libvirt-hooks",
            "lock-timeout", "30s", "hugepages.default-size", HooksConfig.Hugepages.HOST, "hugepages.timeout", "10s");
    /** Prefixes of variables SmallRye reads for itself or maps to our keys (after {@link ConfigKey#envName}). */
    private static final String[] READ_BY_SMALLRYE = {ConfigKey.envName(HooksConfig.PREFIX) + "_", "SMALLRYE_", "QUARKUS_", "MP_",
        "CONFIG_ORDINAL"};

    /** True for an environment variable SmallRye reads for itself or maps to one of our keys. */
    static boolean readBySmallRye(String name) {
        String folded = ConfigKey.envName(name);
        for (String prefix : READ_BY_SMALLRYE) {
            if (folded.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** {@code /[A-Za-z0-9._/+-]*}, checked by hand: a regex here loads the JDK's regex engine into every hook event. */
    static boolean plainPath(String value) {
        if (value.isEmpty() || value.charAt(0) != '/') {
            return false;
        }
        for (int i = 1; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
                    || c == '/' || c == '+' || c == '-';
            if (!plain) {
                return false;
            }
        }
        return true;
    }

    private PlainConfig() {
    }

    /**
     * The loaded configuration when the sources hold nothing but plain paths; empty when SmallRye must read them.
     */
    static Optional<LoadedConfig> of(Path file, Map<String, String> properties, Map<String, String> environmentFile,
            Map<String, String> environment) {
        if (!environmentFile.isEmpty()) {
            return Optional.empty();
        }
        for (String name : environment.keySet()) {
            if (readBySmallRye(name)) {
                return Optional.empty();
            }
        }
        Map<String, String> set = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : properties.entrySet()) {
            String key = e.getKey();
            boolean path = key.equals(ConfigKey.hostWide("host-root")) || key.equals(ConfigKey.hostWide("state-dir"));
            if (!path || !plainPath(e.getValue())) {
                return Optional.empty();
            }
            set.put(key, e.getValue());
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : DEFAULTS.entrySet()) {
            values.put(ConfigKey.hostWide(e.getKey()), e.getValue());
        }
        values.putAll(set);
        HooksConfig hooks = new Plain(Path.of(values.get(ConfigKey.hostWide("host-root"))),
                Path.of(values.get(ConfigKey.hostWide("state-dir"))), Durations.parse(DEFAULTS.get("lock-timeout")),
                new PlainHugepages(DEFAULTS.get("hugepages.default-size"), Durations.parse(DEFAULTS.get("hugepages.timeout"))));
        return Optional.of(new LoadedConfig(hooks, new Values(values, set), file, environment));
    }

    /** The defaults and the file's paths; a class, not a lambda, to spare the hook the bootstrap of one. */
    private record Values(Map<String, String> values, Map<String, String> set) implements LoadedConfig.Lookup {
        @Override
        public LoadedConfig.Value get(String propertyName) {
            String value = values.get(propertyName);
            return new LoadedConfig.Value(value, set.containsKey(propertyName) ? ConfigOrigin.PROPERTIES : ConfigOrigin.DEFAULT);
        }
    }

    private record Plain(Path hostRoot, Path stateDir, Duration lockTimeout, Hugepages hugepages) implements HooksConfig {
        @Override
        public FeatureSettings allVms() {
            return NoFeatures.INSTANCE;
        }

        @Override
        public Map<String, FeatureSettings> vm() {
            return Map.of();
        }
    }

    private record PlainHugepages(String defaultSize, Duration timeout) implements HooksConfig.Hugepages {
    }

    /** No option set for any feature. */
    private enum NoFeatures implements HooksConfig.FeatureSettings {
        INSTANCE;

        @Override
        public Map<String, String> hugepages() {
            return Map.of();
        }

        @Override
        public Map<String, String> isolcpu() {
            return Map.of();
        }

        @Override
        public Map<String, String> cfscpu() {
            return Map.of();
        }

        @Override
        public Map<String, String> gpuHandoff() {
            return Map.of();
        }

        @Override
        public Map<String, String> lookingGlass() {
            return Map.of();
        }

        @Override
        public Map<String, String> cpufreq() {
            return Map.of();
        }

        @Override
        public Map<String, String> usbReturn() {
            return Map.of();
        }

        @Override
        public Map<String, String> nosleep() {
            return Map.of();
        }

        @Override
        public Map<String, String> dosleep() {
            return Map.of();
        }

        @Override
        public Map<String, String> ddcutil() {
            return Map.of();
        }

        @Override
        public Map<String, String> dohibernate() {
            return Map.of();
        }

        @Override
        public Map<String, String> beforeoffDohibernate() {
            return Map.of();
        }

        @Override
        public Map<String, String> virtualNas() {
            return Map.of();
        }

        @Override
        public Map<String, String> service() {
            return Map.of();
        }

        @Override
        public Map<String, String> script() {
            return Map.of();
        }
    }
}
