package io.github.libvirthooks.features.config;

import io.github.libvirthooks.features.engine.FeatureCatalog;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A checked configuration, with where each value came from. Made by {@link ConfigLoader}.
 */
public final class LoadedConfig {
    private final HooksConfig hooks;
    private final Lookup config;
    private final Path file;
    private final Map<String, String> environment;

    /** A property's value in effect (null when nothing sets it and it has no default) and where it came from. */
    record Value(String value, ConfigOrigin origin) {
    }

    /** How a property name is looked up: in SmallRye's config, or in {@link PlainConfig}'s few values. */
    interface Lookup {
        Value get(String propertyName);
    }

    LoadedConfig(HooksConfig hooks, Lookup config, Path file, Map<String, String> environment) {
        this.hooks = hooks;
        this.config = config;
        this.file = file;
        this.environment = Map.copyOf(environment);
    }

    /** The typed settings. */
    public HooksConfig hooks() {
        return hooks;
    }

    /** The properties file that was read (it may not exist). */
    public Path file() {
        return file;
    }

    Map<String, String> environment() {
        return environment;
    }

    /**
     * One host-wide setting as {@code plan} and {@code status} print it.
     *
     * @param key    the full property name
     * @param value  the value in effect
     * @param origin where it came from
     */
    public record Setting(String key, String value, ConfigOrigin origin) {
    }

    /** Every host-wide setting with its value in effect and origin, in documentation order. */
    public List<Setting> hostWide() {
        List<Setting> settings = new ArrayList<>();
        for (String key : ConfigKey.HOST_WIDE) {
            String name = ConfigKey.hostWide(key);
            settings.add(new Setting(name, config.get(name).value(), originOf(name)));
        }
        return settings;
    }

    /** Where the value of a property name came from; {@link ConfigOrigin#DEFAULT} when nothing set it. */
    public ConfigOrigin originOf(String propertyName) {
        return config.get(propertyName).origin();
    }

    /** Where a per-VM option came from, whichever quoting the user wrote the VM name with. */
    ConfigOrigin vmOriginOf(String vmName, String feature, String option) {
        String tail = "." + feature + "." + option;
        for (String name : List.of(ConfigKey.vm(vmName, feature, option),
                HooksConfig.PREFIX + ".vm.\"" + vmName.replace("\\", "\\\\").replace("\"", "\\\"") + "\"" + tail,
                HooksConfig.PREFIX + ".vm." + vmName + tail)) {
            Value value = config.get(name);
            if (value.value() != null) {
                return value.origin();
            }
        }
        // the mapping had the value, so some source holds it; say the file rather than guess "default"
        return ConfigOrigin.PROPERTIES;
    }

    /**
     * The features and options in effect for one VM.
     *
     * @param vmName      the domain name
     * @param xmlFeatures the VM's {@code <hooks>} metadata ({@code Domain.hooksConfig()}): feature to attributes
     * @throws ConfigException for an unknown feature or a bad {@code enabled} value in the XML, or
     *                         features that exclude each other
     */
    public EffectiveVmConfig forVm(String vmName, Map<String, Map<String, String>> xmlFeatures) {
        return forVm(vmName, xmlFeatures, FeatureCatalog.builtInOnly());
    }

    /** {@link #forVm(String, Map)} where the features of {@code features}' jars may be enabled in the XML too. */
    public EffectiveVmConfig forVm(String vmName, Map<String, Map<String, String>> xmlFeatures, FeatureCatalog features) {
        return VmSettings.merge(this, vmName, xmlFeatures, features);
    }
}
