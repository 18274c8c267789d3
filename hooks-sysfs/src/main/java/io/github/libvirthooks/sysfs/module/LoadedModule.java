package io.github.libvirthooks.sysfs.module;

import java.util.List;

/**
 * One line of {@code /proc/modules}.
 *
 * @param name     the module's name ({@code nvidia_drm}: always with underscores there)
 * @param refcount how many references hold it (devices, open files, other modules)
 * @param usedBy   the loaded modules that depend on it
 */
public record LoadedModule(String name, int refcount, List<String> usedBy) {
    public LoadedModule {
        usedBy = List.copyOf(usedBy);
    }
}
