package io.github.libvirthooks.features.config;

import java.util.Locale;

/** Where a setting came from, lowest precedence first. */
public enum ConfigOrigin {
    /** Built into libvirt-hooks. */
    DEFAULT,
    /** {@code application.properties}. */
    PROPERTIES,
    /** {@code /etc/libvirt-hooks/environment}, beside the properties file. */
    ENV_FILE,
    /** An environment variable of the command's process (libvirtd passes none to a hook). */
    ENV,
    /** The VM's own {@code <hooks>} element in its domain XML metadata. */
    XML;

    /** The lower-case word {@code plan} prints. */
    @Override
    public String toString() {
        return this == ENV_FILE ? "environment-file" : name().toLowerCase(Locale.ROOT);
    }
}
