package io.github.libvirthooks.app;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --config} option every command that reads the configuration takes. */
public class ConfigOption {
    public static final String DEFAULT_CONFIG = "/etc/libvirt-hooks/application.properties";

    @Option(names = "--config", paramLabel = "FILE", defaultValue = DEFAULT_CONFIG,
            description = "The configuration file (default: ${DEFAULT-VALUE}); environment variables LIBVIRT_HOOKS_* override it.")
    public Path file;
}
