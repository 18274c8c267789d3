package io.github.libvirthooks.features.engine;

import java.util.Set;

/**
 * A feature that declares its {@link FeatureSpec} and answers {@link #name} and {@link #actsOn}
 * from it, as every built-in feature does: what it is is written once, in its spec.
 */
public interface SpecifiedFeature extends Feature {
    @Override
    FeatureSpec spec();

    @Override
    default String name() {
        return spec().name();
    }

    @Override
    default Set<HookOperation> actsOn() {
        return spec().events();
    }
}
