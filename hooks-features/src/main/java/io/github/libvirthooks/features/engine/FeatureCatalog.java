package io.github.libvirthooks.features.engine;

import io.github.libvirthooks.features.cfscpu.CfscpuFeature;
import io.github.libvirthooks.features.ddcutil.DdcutilFeature;
import io.github.libvirthooks.features.dohibernate.HibernateFeature;
import io.github.libvirthooks.features.dosleep.DosleepFeature;
import io.github.libvirthooks.features.extension.ExtensionFeatures;
import io.github.libvirthooks.features.nosleep.NosleepFeature;
import io.github.libvirthooks.features.script.SafePath;
import io.github.libvirthooks.features.script.ScriptFeature;
import io.github.libvirthooks.features.service.ServiceFeature;
import io.github.libvirthooks.features.virtualnas.VirtualNasFeature;
import io.github.libvirthooks.features.hugepages.HugepagesFeature;
import io.github.libvirthooks.features.isolcpu.IsolcpuFeature;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every feature this version ships, in the order they run at start, plus the features of the jars
 * in the features folder ({@link ExtensionFeatures}), which run after the built-in ones and before
 * the user's scripts.
 */
public final class FeatureCatalog {
    private static volatile Extensions extensions;

    private FeatureCatalog() {
    }

    /** The features, in run order. */
    public static List<Feature> all() {
        List<Feature> all = new ArrayList<>(List.of(new HugepagesFeature(), new IsolcpuFeature(), new CfscpuFeature(),
                new NosleepFeature(), new DosleepFeature(), HibernateFeature.atHostSleep(), HibernateFeature.beforeHostShutdown(),
                new DdcutilFeature(), new VirtualNasFeature(), new ServiceFeature()));
        all.addAll(extensions().features());
        all.add(new ScriptFeature());
        return all;
    }

    /** The names of the features loaded from the features folder (enabled per VM by an XML element of that name). */
    public static List<String> extensionNames() {
        return extensions().features().stream().map(Feature::name).toList();
    }

    /**
     * Checks that a VM's configuration names only known features, before anything changes.
     *
     * @throws FeatureException naming the unknown feature and the known ones
     */
    public static void validate(Map<String, Map<String, String>> enabled) {
        Set<String> known = new TreeSet<>();
        all().forEach(f -> known.add(f.name()));
        for (String name : enabled.keySet()) {
            if (!known.contains(name)) {
                throw new FeatureException("unknown feature <" + name + "> in the VM's <hooks> metadata; this version knows: "
                        + String.join(", ", known) + extensions().problem().map(p -> " (feature jars were not loaded: " + p + ")")
                        .orElse(""));
            }
        }
    }

    /**
     * Loaded once per process. A jar that cannot be loaded disables every extension but never the
     * built-in features: a VM that does not use extensions must still start and release.
     */
    private static Extensions extensions() {
        Extensions loaded = extensions;
        if (loaded == null) {
            synchronized (FeatureCatalog.class) {
                loaded = extensions;
                if (loaded == null) {
                    List<String> builtIn = List.of("hugepages", "isolcpu", "cfscpu", "nosleep", "dosleep", "dohibernate",
                            "beforeoff-dohibernate", "ddcutil", "virtual-nas", "service", "script");
                    try {
                        loaded = new Extensions(ExtensionFeatures.load(ExtensionFeatures.folder(), builtIn, SafePath.rootOnly(),
                                Feature.class.getClassLoader()), Optional.empty());
                    } catch (FeatureException e) {
                        loaded = new Extensions(List.of(), Optional.of(e.getMessage()));
                    }
                    extensions = loaded;
                }
            }
        }
        return loaded;
    }

    private record Extensions(List<Feature> features, Optional<String> problem) {
    }
}
