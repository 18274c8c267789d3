package io.github.libvirthooks.features.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one VM gets once defaults, properties, environment and its domain XML are merged.
 *
 * @param vmName   the VM
 * @param features the enabled features, in run order, each with its options ({@code enabled} removed)
 * @param sources  where each setting came from: {@code "<feature>"} for the switch that turned the
 *                 feature on, {@code "<feature>.<option>"} for each option
 * @param notes    decisions worth telling the user, e.g. a feature replaced by another for this VM
 */
public record EffectiveVmConfig(String vmName, Map<String, Map<String, String>> features,
        Map<String, ConfigOrigin> sources, List<String> notes) {

    public EffectiveVmConfig {
        Map<String, Map<String, String>> copy = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, String>> feature : features.entrySet()) {
            copy.put(feature.getKey(), Collections.unmodifiableMap(new LinkedHashMap<>(feature.getValue())));
        }
        features = Collections.unmodifiableMap(copy);
        sources = Collections.unmodifiableMap(new LinkedHashMap<>(sources));
        notes = List.copyOf(notes);
    }

    /** True when the VM enables this feature. */
    public boolean enables(String feature) {
        return features.containsKey(feature);
    }
}
