package io.github.libvirthooks.features.config;

import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;
import io.smallrye.config.ConfigValidationException;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Builds {@link HooksConfig} from, in increasing precedence: built-in defaults, a properties
 * file, the {@link EnvironmentFile} beside it, the process environment (which libvirtd does not
 * pass to a hook: it configures the commands a user runs). Plain SmallRye Config (no Quarkus), so a hook pays only for what it
 * reads; where the sources set nothing but plain paths, {@link PlainConfig} answers without building SmallRye at all. Everything is checked here, before any hook touches the host.
 */
public final class ConfigLoader {
    /** Where {@code install} puts the file and where the hook reads it. */
    /** Where the installed configuration is: the one place this path is spelled. */
    public static final String INSTALLED = "/etc/libvirt-hooks/application.properties";
    public static final Path INSTALLED_FILE = Path.of(INSTALLED);
    /** The system property the launcher sets to the configuration file it was installed with. */
    public static final String FILE_PROPERTY = "libvirt-hooks.config-file";

    // application.properties and environment variables keep the ordinals Quarkus gives them
    static final int PROPERTIES_ORDINAL = 250;
    static final int ENV_FILE_ORDINAL = 275;
    static final int ENV_ORDINAL = 300;

    private ConfigLoader() {
    }

    /**
     * Loads and checks the configuration.
     *
     * @param propertiesFile normally {@link #INSTALLED_FILE}; a missing file means none
     * @param environment    the process environment ({@code System.getenv()}), a parameter so tests choose it
     * @throws ConfigException naming the key, the value, where it came from and what is allowed
     */
    public static LoadedConfig load(Path propertiesFile, Map<String, String> environment) {
        return load(propertiesFile, environment, true);
    }

    /** @param plainAllowed false to have SmallRye read even what {@link PlainConfig} could answer (tests compare the two) */
    static LoadedConfig load(Path propertiesFile, Map<String, String> environment, boolean plainAllowed) {
        Map<String, String> properties = read(propertiesFile);
        for (String name : properties.keySet()) {
            if (name.startsWith(HooksConfig.PREFIX + ".")) {
                java.util.Optional<String> problem = ConfigKey.problem(name);
                if (problem.isPresent()) {
                    throw new ConfigException("unknown key " + name + "=" + properties.get(name) + " in " + propertiesFile
                            + ": " + problem.get());
                }
            }
        }
        String prefix = ConfigKey.envName(HooksConfig.PREFIX) + "_";
        for (Map.Entry<String, String> e : new TreeMap<>(environment).entrySet()) {
            if (e.getKey().startsWith(prefix) && !ConfigKey.isKnownEnvName(e.getKey())) {
                throw new ConfigException("unknown environment variable " + e.getKey() + "=" + e.getValue()
                        + ": not a libvirt-hooks key; known ones are " + prefix + "<KEY> for the keys of "
                        + propertiesFile.getFileName() + ", e.g. " + ConfigKey.envName(ConfigKey.hostWide("lock-timeout")));
            }
        }
        Map<String, String> environmentFile = EnvironmentFile.read(EnvironmentFile.besides(propertiesFile));
        java.util.Optional<LoadedConfig> plain = plainAllowed ? PlainConfig.of(propertiesFile, properties, environmentFile, environment)
                : java.util.Optional.empty();
        if (plain.isPresent()) {
            return checked(plain.get());
        }
        SmallRyeConfig config;
        try {
            config = builder(propertiesFile, properties, environmentFile, environment)
                    .withMapping(HooksConfig.class)
                    .withValidateUnknown(true)
                    .build();
        } catch (ConfigValidationException | IllegalArgumentException | NoSuchElementException e) {
            // SmallRye's text spans lines and codes; find the key ourselves for a one-line message
            SmallRyeConfig raw = builder(propertiesFile, properties, environmentFile, environment).build();
            checkHostWide(raw, propertiesFile, environment);
            throw new ConfigException("invalid configuration: " + firstLine(e));
        }
        SmallRyeConfig mapped = config;
        return checked(new LoadedConfig(config.getConfigMapping(HooksConfig.class), name -> {
            ConfigValue value = mapped.getConfigValue(name);
            return new LoadedConfig.Value(value.getValue(), origin(value));
        }, propertiesFile, environment));
    }

    /** True for an environment variable the configuration reads (ours, or SmallRye's own). */
    public static boolean readsVariable(String name) {
        return PlainConfig.readBySmallRye(name);
    }

    private static LoadedConfig checked(LoadedConfig loaded) {
        checkPaths(loaded);
        checkDefaultHugepageSize(loaded);
        checkSwitches(loaded);
        return loaded;
    }

    /**
     * Where the journals are, read from the configuration even when the rest of it is broken:
     * only {@code host-root} and {@code state-dir} (file, then environment), each falling back to
     * its default when unreadable or not absolute. What release and restore need to undo a VM
     * whatever became of the configuration while it ran.
     */
    public static JournalLocation journalLocation(Path propertiesFile, Map<String, String> environment) {
        Map<String, String> properties;
        try {
            properties = read(propertiesFile);
        } catch (ConfigException e) {
            properties = Map.of();
        }
        Map<String, String> variables = new java.util.HashMap<>();
        try {
            variables.putAll(EnvironmentFile.read(EnvironmentFile.besides(propertiesFile)));
        } catch (ConfigException e) {
            // Unreadable: the defaults, as for a broken properties file.
        }
        variables.putAll(environment);
        return new JournalLocation(absolute(properties, variables, "host-root", "/"),
                absolute(properties, variables, "state-dir", "/run/libvirt-hooks"));
    }

    /** The host root and the state directory, as the hook would use them. */
    public record JournalLocation(Path hostRoot, Path stateDir) {
    }

    private static Path absolute(Map<String, String> properties, Map<String, String> environment, String key, String fallback) {
        String name = ConfigKey.hostWide(key);
        String value = environment.getOrDefault(ConfigKey.envName(name), properties.get(name));
        if (value == null || value.isBlank() || value.indexOf('\0') >= 0) {
            return Path.of(fallback);
        }
        try {
            Path path = Path.of(value.strip());
            return path.isAbsolute() ? path : Path.of(fallback);
        } catch (java.nio.file.InvalidPathException e) {
            return Path.of(fallback);
        }
    }

    private static SmallRyeConfigBuilder builder(Path file, Map<String, String> properties, Map<String, String> environmentFile,
            Map<String, String> environment) {
        return new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(properties, file.toString(), PROPERTIES_ORDINAL))
                .withSources(new EnvConfigSource(environmentFile, ENV_FILE_ORDINAL))
                .withSources(new EnvConfigSource(environment, ENV_ORDINAL))
                .withConverter(java.time.Duration.class, 200, Durations::parse)
                .withConverter(HugePageSize.class, 200, HugePageSize::parse);
    }

    private static Map<String, String> read(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (AccessDeniedException e) {
            throw new ConfigException("cannot read " + file + ": permission denied; the hook runs as root, make the file readable by root");
        } catch (CharacterCodingException e) {
            throw new ConfigException("cannot read " + file + ": not UTF-8 text; save it as UTF-8");
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getMessage() + "; it must be a readable properties file");
        } catch (IllegalArgumentException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getMessage() + " (a backslash starts an escape; write \\\\ for a backslash)");
        }
        Map<String, String> map = new TreeMap<>();
        for (Map.Entry<Object, Object> e : properties.entrySet()) {
            map.put((String) e.getKey(), (String) e.getValue());
        }
        return map;
    }

    /** Converts each host-wide value as the mapping would, to name the one that fails. */
    private static void checkHostWide(SmallRyeConfig raw, Path file, Map<String, String> environment) {
        check(raw, "lock-timeout", Durations::parse, file, environment);
        check(raw, "hugepages.timeout", Durations::parse, file, environment);
        check(raw, "hugepages.default-size", ConfigLoader::defaultSize, file, environment);
    }

    private static void check(SmallRyeConfig raw, String key, Function<String, ?> parser, Path file, Map<String, String> environment) {
        String name = ConfigKey.hostWide(key);
        ConfigValue value = raw.getConfigValue(name);
        if (value.getValue() == null) {
            return;
        }
        try {
            parser.apply(value.getValue());
        } catch (IllegalArgumentException e) {
            throw invalid(name, value.getValue(), origin(value), file, environment, e.getMessage());
        }
    }

    /** {@code host} or a hugepage size; a String in the mapping, so that {@code host} is a value too. */
    private static void checkDefaultHugepageSize(LoadedConfig loaded) {
        String name = ConfigKey.hostWide("hugepages.default-size");
        String value = loaded.hooks().hugepages().defaultSize();
        try {
            defaultSize(value);
        } catch (IllegalArgumentException e) {
            throw invalid(name, value, loaded.originOf(name), loaded.file(), loaded.environment(), e.getMessage());
        }
    }

    /** {@code host} or a hugepage size (a method, not a lambda in a static field: no call site bootstrapped at every start). */
    private static Object defaultSize(String text) {
        if (text.strip().equals(HooksConfig.Hugepages.HOST)) {
            return text;
        }
        try {
            return HugePageSize.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected host (the host's default hugepage size) or a hugepage size such as 2M or 1G");
        }
    }

    private static void checkPaths(LoadedConfig loaded) {
        for (String key : new String[] {"host-root", "state-dir"}) {
            Path path = key.equals("host-root") ? loaded.hooks().hostRoot() : loaded.hooks().stateDir();
            if (!path.isAbsolute()) {
                String name = ConfigKey.hostWide(key);
                throw invalid(name, path.toString(), loaded.originOf(name), loaded.file(), loaded.environment(),
                        "expected an absolute path, such as " + (key.equals("host-root") ? "/" : "/run/libvirt-hooks"));
            }
        }
    }

    /** {@code enabled} is the one option the config itself owns; the rest belong to the features. */
    private static void checkSwitches(LoadedConfig loaded) {
        HooksConfig hooks = loaded.hooks();
        for (Map.Entry<String, Map<String, String>> f : HooksConfig.FeatureSettings.byName(hooks.allVms()).entrySet()) {
            checkSwitch(loaded, ConfigKey.allVms(f.getKey(), HooksConfig.ENABLED), f.getValue().get(HooksConfig.ENABLED));
        }
        for (Map.Entry<String, HooksConfig.FeatureSettings> vm : hooks.vm().entrySet()) {
            for (Map.Entry<String, Map<String, String>> f : HooksConfig.FeatureSettings.byName(vm.getValue()).entrySet()) {
                checkSwitch(loaded, ConfigKey.vm(vm.getKey(), f.getKey(), HooksConfig.ENABLED), f.getValue().get(HooksConfig.ENABLED));
            }
        }
    }

    private static void checkSwitch(LoadedConfig loaded, String name, String value) {
        if (value != null && parseSwitch(value) == null) {
            throw invalid(name, value, loaded.originOf(name), loaded.file(), loaded.environment(), "expected true or false");
        }
    }

    /** {@code true}/{@code false} in any case; null for anything else. */
    static Boolean parseSwitch(String value) {
        String v = value.strip();
        if (v.equalsIgnoreCase("true")) {
            return Boolean.TRUE;
        }
        return v.equalsIgnoreCase("false") ? Boolean.FALSE : null;
    }

    static ConfigOrigin origin(ConfigValue value) {
        if (value == null || value.getValue() == null) {
            return ConfigOrigin.DEFAULT;
        }
        int ordinal = value.getConfigSourceOrdinal();
        if (ordinal >= ENV_ORDINAL) {
            return ConfigOrigin.ENV;
        }
        if (ordinal >= ENV_FILE_ORDINAL) {
            return ConfigOrigin.ENV_FILE;
        }
        return ordinal >= PROPERTIES_ORDINAL ? ConfigOrigin.PROPERTIES : ConfigOrigin.DEFAULT;
    }

    static ConfigException invalid(String name, String value, ConfigOrigin origin, Path file, Map<String, String> environment,
            String allowed) {
        String where = switch (origin) {
            case PROPERTIES -> "in " + file;
            case ENV -> "from environment variable " + envVariable(name, environment);
            case ENV_FILE -> "as " + ConfigKey.envName(name) + " in " + EnvironmentFile.besides(file);
            default -> "built-in default";
        };
        return new ConfigException("invalid value " + name + "=" + value + " (" + where + "): " + allowed);
    }

    /** The variable the user really set for a property (SmallRye also matches lower-case spellings). */
    private static String envVariable(String name, Map<String, String> environment) {
        String wanted = ConfigKey.envName(name);
        return environment.keySet().stream().filter(k -> ConfigKey.envName(k).equals(wanted)).findFirst().orElse(wanted);
    }

    private static String firstLine(RuntimeException e) {
        String text = e instanceof ConfigValidationException v && v.getProblemCount() > 0 ? v.getProblem(0).getMessage()
                : String.valueOf(e.getMessage());
        text = text.strip().lines().findFirst().orElse(text);
        return text.replaceFirst("^SRCFG\\d+: ", "");
    }
}
