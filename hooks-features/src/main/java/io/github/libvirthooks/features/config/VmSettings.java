package io.github.libvirthooks.features.config;

import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.engine.FeatureSpec;
import io.github.libvirthooks.features.script.ScriptFeature;
import io.github.libvirthooks.features.script.ScriptFolders;
import io.github.libvirthooks.features.script.ScriptOptions;
import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Merges one VM's settings: host-wide defaults &lt; {@code all-vms} &lt; {@code vm."name"} &lt;
 * the VM's XML metadata. Each layer is itself defaults &lt; properties &lt; environment, as
 * SmallRye resolved it. An XML element turns its feature on; {@code enabled=false} anywhere
 * turns it off; properties turn a feature on only with {@code enabled=true}, so that an option
 * set for all VMs (a size, say) does not switch the feature on everywhere.
 */
final class VmSettings {
    private VmSettings() {
    }

    static EffectiveVmConfig merge(LoadedConfig loaded, String vmName, Map<String, Map<String, String>> xml, FeatureCatalog catalog) {
        List<String> builtIn = FeatureCatalog.builtInNames();
        List<String> extensions = catalog.extensionNames();
        for (String feature : xml.keySet()) {
            if (!builtIn.contains(feature) && !extensions.contains(feature)) {
                List<String> known = new ArrayList<>(builtIn);
                known.addAll(extensions);
                throw new ConfigException("unknown feature <" + feature + "> in the <hooks xmlns=\"urn:libvirt-hooks:1\"> metadata of VM '"
                        + vmName + "'; known features: " + String.join(", ", known)
                        + catalog.problem().map(p -> " (feature jars were not loaded: " + p + ")").orElse(""));
            }
        }
        HooksConfig hooks = loaded.hooks();
        Map<String, Map<String, String>> allVms = HooksConfig.FeatureSettings.byName(hooks.allVms());
        HooksConfig.FeatureSettings own = hooks.vm().get(vmName);
        Map<String, Map<String, String>> forVm = own == null ? Map.of() : HooksConfig.FeatureSettings.byName(own);

        Map<String, Map<String, String>> features = new LinkedHashMap<>();
        Map<String, ConfigOrigin> sources = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        Map<String, Boolean> explicit = new LinkedHashMap<>();
        for (String feature : builtIn) {
            Layered layered = new Layered(feature);
            hostDefaults(loaded, feature, layered);
            if (feature.equals(ScriptFeature.NAME) && scriptFolders(loaded).anyFor(vmName)) {
                // A script dropped into hooks.d/<vm>/ or all-vms.d/ runs without further configuration, as in VFIO-Tools.
                layered.on = true;
            }
            layered.apply(allVms.getOrDefault(feature, Map.of()), Layer.ALL_VMS, loaded, vmName);
            layered.apply(forVm.getOrDefault(feature, Map.of()), Layer.VM, loaded, vmName);
            if (xml.containsKey(feature)) {
                Map<String, String> attributes = xml.get(feature);
                layered.on = true;
                layered.onFrom = ConfigOrigin.XML;
                layered.forThisVm = true;
                layered.apply(attributes, Layer.XML, loaded, vmName);
            }
            if (layered.on) {
                features.put(feature, layered.options);
                sources.put(feature, layered.onFrom);
                for (Map.Entry<String, ConfigOrigin> from : layered.from.entrySet()) {
                    sources.put(feature + "." + from.getKey(), from.getValue());
                }
                explicit.put(feature, layered.forThisVm);
            }
        }
        if (features.containsKey(ScriptFeature.NAME) && scriptFolders(loaded).anyFor(vmName)) {
            notes.add("script: scripts are looked for in " + scriptFolders(loaded).vmFolder(vmName).map(Path::toString)
                    .orElse("(no folder for this name)") + " and " + configDir(loaded).resolve(ScriptFolders.ALL_VMS));
        }
        for (String extension : extensions) {
            // Features from jars are enabled by their XML element only: the properties mapping knows built-in names only.
            if (xml.containsKey(extension) && !Boolean.FALSE.equals(enabledSwitch(xml.get(extension)))) {
                Map<String, String> options = new LinkedHashMap<>(xml.get(extension));
                options.remove(HooksConfig.ENABLED);
                features.put(extension, options);
                sources.put(extension, ConfigOrigin.XML);
                for (String option : options.keySet()) {
                    sources.put(extension + "." + option, ConfigOrigin.XML);
                }
            }
        }
        // The enabled features' specs only: the others' classes need not load.
        List<FeatureSpec> enabledSpecs = FeatureCatalog.builtInSpecsOf(features.keySet());
        Optional<FeatureSpec.Conflict> conflict = FeatureSpec.conflictAmong(enabledSpecs, features.keySet());
        if (conflict.isPresent()) {
            FeatureSpec.Conflict c = conflict.get();
            throw new ConfigException("VM '" + vmName + "' enables both " + c.first() + " (" + sources.get(c.first()) + ") and "
                    + c.second() + " (" + sources.get(c.second()) + "); " + c.why() + ": turn one of them off");
        }
        for (FeatureSpec replacing : enabledSpecs) {
            if (!features.containsKey(replacing.name())) {
                continue;
            }
            for (String replaced : replacing.replaces()) {
                if (!features.containsKey(replaced)) {
                    continue;
                }
                if (explicit.get(replaced)) {
                    throw new ConfigException("VM '" + vmName + "' enables both " + replaced + " and " + replacing.name() + " ("
                            + sources.get(replaced) + ", " + sources.get(replacing.name()) + "); " + replacing.name() + " replaces "
                            + replaced + ": turn one of them off");
                }
                features.remove(replaced);
                sources.keySet().removeIf(key -> key.equals(replaced) || key.startsWith(replaced + "."));
                notes.add(replaced + " (all-vms) is replaced by " + replacing.name() + " for this VM");
            }
        }
        return new EffectiveVmConfig(vmName, features, sources, notes);
    }

    /** An extension's {@code enabled} attribute: true, false, or an error. */
    private static Boolean enabledSwitch(Map<String, String> attributes) {
        String value = attributes.get(HooksConfig.ENABLED);
        if (value == null) {
            return Boolean.TRUE;
        }
        Boolean enabled = ConfigLoader.parseSwitch(value);
        if (enabled == null) {
            throw new ConfigException("invalid enabled=\"" + value + "\" in the VM's <hooks> metadata: expected true or false");
        }
        return enabled;
    }

    /** The folder holding the configuration file, where hooks.d/ and all-vms.d/ live. */
    private static Path configDir(LoadedConfig loaded) {
        Path parent = loaded.file().toAbsolutePath().getParent();
        return parent == null ? Path.of("/") : parent;
    }

    private static ScriptFolders scriptFolders(LoadedConfig loaded) {
        return new ScriptFolders(configDir(loaded));
    }

    /** Host-wide settings that are a feature's options where the VM sets none. */
    private static void hostDefaults(LoadedConfig loaded, String feature, Layered layered) {
        if (feature.equals(ScriptFeature.NAME)) {
            // Not options for users: where the script feature finds its folders and keeps its logs.
            layered.put(ScriptOptions.SCRIPTS_DIR, configDir(loaded).toString(), ConfigOrigin.DEFAULT);
            layered.put(ScriptOptions.STATE_DIR, loaded.hooks().stateDir().toString(), ConfigOrigin.DEFAULT);
        }
        if (feature.equals("hugepages")) {
            HooksConfig.Hugepages hugepages = loaded.hooks().hugepages();
            // "host": the host's default hugepage size, as libvirt uses for a bare <hugepages/>.
            String size = hugepages.defaultSize().strip();
            layered.put("size", size.equals(HooksConfig.Hugepages.HOST) ? size : HugePageSize.parse(size).bootParameter(),
                    loaded.originOf(ConfigKey.hostWide("hugepages.default-size")));
            layered.put("timeout", Durations.format(hugepages.timeout()), loaded.originOf(ConfigKey.hostWide("hugepages.timeout")));
        }
    }

    /** One feature's switch and options as the layers are applied in order. */
    private static final class Layered {
        final String feature;
        final Map<String, String> options = new LinkedHashMap<>();
        final Map<String, ConfigOrigin> from = new LinkedHashMap<>();
        boolean on;
        boolean forThisVm;
        ConfigOrigin onFrom = ConfigOrigin.DEFAULT;

        Layered(String feature) {
            this.feature = feature;
        }

        void put(String option, String value, ConfigOrigin origin) {
            options.put(option, value);
            from.put(option, origin);
        }

        /** Applies one layer's values over the ones before it. */
        void apply(Map<String, String> layer, Layer which, LoadedConfig loaded, String vmName) {
            boolean vmOwn = which != Layer.ALL_VMS;
            for (Map.Entry<String, String> e : layer.entrySet()) {
                if (e.getKey().equals(HooksConfig.ENABLED)) {
                    Boolean enabled = ConfigLoader.parseSwitch(e.getValue());
                    if (enabled == null) {
                        String name = key(which, vmName, HooksConfig.ENABLED);
                        throw new ConfigException(name == null
                                ? "invalid <" + feature + " enabled=\"" + e.getValue() + "\"> in the VM's <hooks> metadata: expected true or false"
                                : "invalid value " + name + "=" + e.getValue() + ": expected true or false");
                    }
                    on = enabled;
                    onFrom = origin(which, loaded, vmName, HooksConfig.ENABLED);
                    forThisVm = vmOwn;
                } else {
                    put(e.getKey(), e.getValue(), origin(which, loaded, vmName, e.getKey()));
                }
            }
        }

        /** Where an option of this layer came from. */
        private ConfigOrigin origin(Layer which, LoadedConfig loaded, String vmName, String option) {
            if (which == Layer.ALL_VMS) {
                return loaded.originOf(ConfigKey.allVms(feature, option));
            }
            return which == Layer.VM ? loaded.vmOriginOf(vmName, feature, option) : ConfigOrigin.XML;
        }

        /** The property name of an option of this layer, for messages; null for XML attributes. */
        private String key(Layer which, String vmName, String option) {
            if (which == Layer.ALL_VMS) {
                return ConfigKey.allVms(feature, option);
            }
            return which == Layer.VM ? ConfigKey.vm(vmName, feature, option) : null;
        }
    }

    /** The layers over the host-wide defaults, in the order they apply. */
    private enum Layer {
        /** {@code all-vms.<feature>.<option>} */
        ALL_VMS,
        /** {@code vm."name".<feature>.<option>}: the VM's own */
        VM,
        /** the VM's XML metadata: its own */
        XML
    }
}
