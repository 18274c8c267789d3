package io.github.libvirthooks.features.engine;

import io.github.libvirthooks.features.cfscpu.CfscpuFeature;
import io.github.libvirthooks.features.ddcutil.DdcutilFeature;
import io.github.libvirthooks.features.dohibernate.HibernateFeature;
import io.github.libvirthooks.features.dosleep.DosleepFeature;
import io.github.libvirthooks.features.nosleep.NosleepFeature;
import io.github.libvirthooks.features.virtualnas.VirtualNasFeature;
import io.github.libvirthooks.features.hugepages.HugepagesFeature;
import io.github.libvirthooks.features.isolcpu.IsolcpuFeature;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Every feature this version ships, in the order they run at start. */
public final class FeatureCatalog {
    private FeatureCatalog() {
    }

    /** The features, in run order. */
    public static List<Feature> all() {
        return List.of(new HugepagesFeature(), new IsolcpuFeature(), new CfscpuFeature(), new NosleepFeature(), new DosleepFeature(),
                HibernateFeature.atHostSleep(), HibernateFeature.beforeHostShutdown(), new DdcutilFeature(), new VirtualNasFeature());
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
                        + String.join(", ", known));
            }
        }
    }
}
