package io.github.libvirthooks.app.install;

import java.nio.file.Path;
import java.util.List;

/**
 * Where libvirt-hooks lives on a host, below a root prefix ({@code /} for a real install, a
 * temporary directory in tests or for packaging).
 *
 * @param root the prefix every path below is resolved in
 */
public record InstallLayout(Path root) {
    public static final String LIB_DIR = "usr/lib/libvirt-hooks";
    public static final String COMMAND = "usr/bin/libvirt-hooks";
    public static final String HOOKS_DIR = "etc/libvirt/hooks";
    public static final String LAUNCHER = "etc/libvirt/hooks/qemu.d/libvirt-hooks";
    public static final String CONFIG = io.github.libvirthooks.features.config.ConfigLoader.INSTALLED.substring(1);
    public static final String STATE_DIR = "run/libvirt-hooks";
    public static final String SYSTEMD_UNITS = "etc/systemd/system";
    public static final List<String> UNITS = List.of("libvirt-hooks-sleep.service", "libvirt-hooks-shutdown.service");
    public static final String COMPLETION = "usr/share/bash-completion/completions/libvirt-hooks";
    public static final String MAN_PAGE = "usr/share/man/man1/libvirt-hooks.1";

    public InstallLayout {
        root = root.toAbsolutePath().normalize();
    }

    public Path libDir() {
        return root.resolve(LIB_DIR);
    }

    public Path command() {
        return root.resolve(COMMAND);
    }

    public Path unit(String name) {
        return root.resolve(SYSTEMD_UNITS).resolve(name);
    }

    /** True when systemd runs this root as PID 1 (it creates /run/systemd/system at boot). */
    public boolean systemdRunning() {
        return java.nio.file.Files.isDirectory(root.resolve("run/systemd/system"));
    }

    /** The name of PID 1 when this root is a running host ({@code /proc/1/comm}); empty for a staging tree. */
    public java.util.Optional<String> init() {
        try {
            Path comm = root.resolve("proc/1/comm");
            return java.nio.file.Files.isRegularFile(comm) ? java.util.Optional.of(java.nio.file.Files.readString(comm).strip())
                    : java.util.Optional.empty();
        } catch (java.io.IOException e) {
            return java.util.Optional.empty();
        }
    }

    /**
     * True on a running host whose init is not systemd (Artix, Void, Gentoo with OpenRC): no
     * unit can run there. A staging tree (packaging, tests) has no {@code /proc/1}, so units are
     * still written into it.
     */
    public boolean otherInitRunning() {
        return init().isPresent() && !systemdRunning();
    }

    public Path completion() {
        return root.resolve(COMPLETION);
    }

    public Path manPage() {
        return root.resolve(MAN_PAGE);
    }

    public Path launcher() {
        return root.resolve(LAUNCHER);
    }

    /** libvirt's monolithic hook script: another tool's, never ours. */
    public Path monolithicHook() {
        return root.resolve(HOOKS_DIR).resolve("qemu");
    }

    public Path hookDir() {
        return root.resolve(HOOKS_DIR).resolve("qemu.d");
    }

    public Path config() {
        return root.resolve(CONFIG);
    }

    public Path stateDir() {
        return root.resolve(STATE_DIR);
    }

    /** The list of files install wrote, so that uninstall removes exactly those. */
    public Path manifest() {
        return libDir().resolve("installed-files");
    }

    /** The hook's class-data archive, built at install for the installed JDK. */
    public Path classDataArchive() {
        return libDir().resolve("hook.jsa");
    }

    /** The hook's AOT cache, built at install instead of the archive when the JDK is 25 or newer. */
    public Path aotCache() {
        return libDir().resolve("hook.aot");
    }

    /** The classpath file the launcher reads: only what the hook path needs. */
    public Path hookClasspath() {
        return libDir().resolve("hook.classpath");
    }
}
