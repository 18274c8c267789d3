package io.github.libvirthooks.app;

import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.extension.ExtensionFeatures;
import io.github.libvirthooks.features.hook.HookSetup;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --config} option every command that reads the configuration takes. */
public class ConfigOption {
    public static final String DEFAULT_CONFIG = io.github.libvirthooks.features.config.ConfigLoader.INSTALLED;

    @Option(names = "--config", paramLabel = "FILE", defaultValue = DEFAULT_CONFIG,
            description = "The configuration file (default: ${DEFAULT-VALUE}); environment variables LIBVIRT_HOOKS_* override it.")
    public Path file;

    /** What the command works on: this configuration, the environment, the built-in features and those of the installed jars. */
    public HookSetup setup() {
        return HookSetup.load(file, System.getenv(), FeatureCatalog.withExtensionsFrom(ExtensionFeatures.folder()));
    }

    /** Where the journals are, from a configuration that does not load ({@link HookSetup#forUndo}). */
    public HookSetup setupForUndo(RuntimeException problem) {
        return HookSetup.forUndo(file, System.getenv(), FeatureCatalog.withExtensionsFrom(ExtensionFeatures.folder()), problem);
    }
}
