package io.github.libvirthooks.features.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The features an engine knows, found by name: every name in run order, and a feature only
 * when a VM enables it or a journal names it. A hook event builds just those, so a feature no
 * VM uses costs it nothing ({@link FeatureCatalog#onDemand}).
 */
public interface FeatureSource {
    /** Every known feature's name, in the order they run at start. */
    List<String> names();

    /** The feature of that name, built at the first ask; empty for a name this source does not know. */
    Optional<Feature> named(String name);

    /** What the feature of that name is, for a name in {@link #names}; a built-in one is not built for it. */
    FeatureSpec spec(String name);

    /** Features already built, in run order (tests, the demo). */
    static FeatureSource of(List<Feature> features) {
        return new Listed(features);
    }

    /** A fixed list of built features. */
    final class Listed implements FeatureSource {
        private final List<Feature> features;
        private final List<String> names;

        private Listed(List<Feature> features) {
            this.features = List.copyOf(features);
            List<String> names = new ArrayList<>();
            for (Feature feature : this.features) {
                names.add(feature.name());
            }
            this.names = List.copyOf(names);
        }

        @Override
        public List<String> names() {
            return names;
        }

        @Override
        public Optional<Feature> named(String name) {
            for (Feature feature : features) {
                if (feature.name().equals(name)) {
                    return Optional.of(feature);
                }
            }
            return Optional.empty();
        }

        @Override
        public FeatureSpec spec(String name) {
            return named(name).orElseThrow().spec();
        }
    }
}
