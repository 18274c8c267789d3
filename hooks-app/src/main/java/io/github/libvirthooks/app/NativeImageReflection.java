package io.github.libvirthooks.app;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * What the native executable must keep for reflection: the hook builds its own SmallRye
 * configuration (outside Quarkus' config), whose mapping implementations are generated at build
 * time and found by name, and whose converters are looked up reflectively.
 */
@RegisterForReflection(classNames = {
    "io.github.libvirthooks.features.config.HooksConfig$$CMImpl",
    "io.github.libvirthooks.features.config.HooksConfig$FeatureSettings$$CMImpl",
    "io.github.libvirthooks.features.config.HooksConfig$Hugepages$$CMImpl",
    "io.github.libvirthooks.features.config.HooksConfig",
    "io.github.libvirthooks.features.config.HooksConfig$FeatureSettings",
    "io.github.libvirthooks.features.config.HooksConfig$Hugepages"})
public final class NativeImageReflection {
    private NativeImageReflection() {
    }
}
