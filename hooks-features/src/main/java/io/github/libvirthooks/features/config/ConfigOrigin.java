package io.github.libvirthooks.features.config;

import java.util.Locale;

/** Where a setting came from, lowest precedence first. */
public enum ConfigOrigin {
    /** Built into libvirt-hooks. */
    DEFAULT,
    /** {@code application.properties}. */
    PROPERTIES,
    /** An environment variable of libvirtd (the hook inherits it). */
    ENV,
    /** The VM's own {@code <hooks>} element in its domain XML metadata. */
    XML;

    /** The lower-case word {@code plan} prints. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
