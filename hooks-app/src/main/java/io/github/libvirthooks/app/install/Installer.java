package io.github.libvirthooks.app.install;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.sysfs.libvirt.QemuDaemon;
import java.util.Optional;

/**
 * Installs the program from an unpacked distribution into a host (below a root prefix), and
 * removes it again. Idempotent; never overwrites the user's configuration or another tool's
 * {@code /etc/libvirt/hooks/qemu}; every file it writes is listed in a manifest so that
 * uninstall removes exactly those.
 */
public final class Installer {
    /** Jars the hook path needs (by file-name prefix in Quarkus' lib/main): the rest is for the CLI. */
    static final List<String> HOOK_JARS = List.of(
            "io.github.libvirthooks.hooks-features-",
            "io.github.libvirthooks.hooks-sysfs-",
            "io.smallrye.config.smallrye-config-",
            "io.smallrye.common.smallrye-common-",
            "org.eclipse.microprofile.config.microprofile-config-api-",
            "org.jboss.logging.jboss-logging-",
            "org.ow2.asm.asm-");

    /**
     * JVM options for the hook: one short-lived process per event, so C1 only, the serial
     * collector, a small heap (its peak memory stays well under 64 MB) and no perf data file.
     */
    public static final List<String> HOOK_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
            "-XX:-UsePerfData", "-Xss512k", "-Xmx64m", "-XX:CICompilerCount=1");

    private final InstallLayout layout;
    private final Consumer<String> out;
    private final CommandRunner commands;
    /** Directories this install created (qemu.d/ on a host without hooks, a completions folder). */
    private final java.util.Set<Path> createdDirs = new java.util.LinkedHashSet<>();

    /**
     * @param commands runs {@code systemctl} when systemd manages the install root
     */
    public Installer(InstallLayout layout, Consumer<String> out, CommandRunner commands) {
        this.layout = layout;
        this.out = out;
        this.commands = commands;
    }

    /**
     * Texts generated from the command's own model at install time.
     *
     * @param bashCompletion the bash completion script
     * @param manPage        the roff man page
     */
    public record GeneratedDocs(String bashCompletion, String manPage) {
    }

    /**
     * What install found about the daemon's view of the hooks before it ran.
     *
     * @param libvirtdMustRestart the daemon that runs the QEMU driver runs now and saw no hook at its start
     * @param daemon              that daemon: {@code libvirtd} or {@code virtqemud} (libvirtd when neither was found)
     */
    public record InstallResult(boolean libvirtdMustRestart, String daemon, List<Path> written) {
    }

    /**
     * Installs from {@code dist} (a directory holding {@code app/} and {@code share/}), using
     * {@code java} as the JVM the launcher runs.
     */
    public InstallResult install(Path dist, Path java, String configSkeleton, GeneratedDocs docs) {
        Path app = dist.resolve("app");
        Path share = dist.resolve("share");
        if (!Files.isRegularFile(app.resolve("quarkus-run.jar")) || !Files.isRegularFile(share.resolve("qemu-hook"))) {
            throw new InstallException("install: " + dist + " is not a libvirt-hooks distribution (no app/quarkus-run.jar or"
                    + " share/qemu-hook); run it from the unpacked distribution (deployment/target/libvirt-hooks-*/)");
        }
        boolean hooksWereEnabled = libvirtdSeesHooks();
        String classpath = hookClasspath(app);
        List<Path> written = new ArrayList<>();
        Path lib = layout.libDir();
        // Installed in place (a distribution package unpacked app/ and share/ there): the
        // package manager owns those, so uninstall leaves them to it.
        if (!dist.toAbsolutePath().normalize().equals(lib)) {
            replaceTree(app, lib.resolve("app"));
            replaceTree(share, lib.resolve("share"));
            written.add(lib.resolve("app"));
            written.add(lib.resolve("share"));
        }

        installNativeExecutable(dist).ifPresent(written::add);
        writeFile(layout.hookClasspath(), classpath, "rw-r--r--");
        written.add(layout.hookClasspath());

        String launcher = template(share.resolve("qemu-hook"), java)
                .replace("@HOOK_CLASSPATH@", shellQuoteSafe(classpath));
        writeFile(layout.launcher(), launcher, "rwxr-xr-x");
        written.add(layout.launcher());
        out.accept("installed the libvirt hook launcher " + layout.launcher());

        writeFile(layout.command(), template(share.resolve("libvirt-hooks"), java), "rwxr-xr-x");
        written.add(layout.command());
        out.accept("installed the command " + layout.command());

        if (layout.otherInitRunning()) {
            out.accept("systemd is not the init system here (PID 1 is " + layout.init().orElse("?") + "): installed no systemd"
                    + " units; nosleep, dosleep, dohibernate and beforeoff-dohibernate need systemd and refuse to start a VM"
                    + " here, isolcpu uses its cgroup backend");
        } else {
            for (String unit : InstallLayout.UNITS) {
                writeFile(layout.unit(unit), template(share.resolve("systemd").resolve(unit), java), "rw-r--r--");
                written.add(layout.unit(unit));
            }
            enableUnits();
        }

        writeFile(layout.completion(), docs.bashCompletion(), "rw-r--r--");
        written.add(layout.completion());
        writeFile(layout.manPage(), docs.manPage(), "rw-r--r--");
        written.add(layout.manPage());

        if (Files.exists(layout.config())) {
            out.accept("kept your configuration " + layout.config());
        } else {
            writeFile(layout.config(), configSkeleton, "rw-r--r--");
            out.accept("wrote a commented configuration skeleton " + layout.config());
        }
        if (Dispatcher.isOurs(layout.monolithicHook())) {
            // Written by an earlier 'install --dispatcher': still ours, so uninstall removes it.
            written.add(layout.monolithicHook());
        } else if (Files.exists(layout.monolithicHook())) {
            out.accept("left " + layout.monolithicHook() + " alone: it belongs to another tool; libvirt runs it before qemu.d/");
        }
        buildStartupCache(java, classpath);
        written.add(layout.classDataArchive());
        written.add(CacheInputs.record(layout.classDataArchive()));
        written.add(layout.aotCache());
        written.add(CacheInputs.record(layout.aotCache()));
        buildCommandArchive(java);
        written.add(layout.libDir().resolve("cli.jsa"));
        written.add(CacheInputs.record(layout.libDir().resolve("cli.jsa")));
        writeManifest(written);
        return restartAdvice(hooksWereEnabled, written);
    }

    /**
     * The daemon that runs the QEMU driver looks for hooks only when it starts. A socket-activated
     * virtqemud that is not running now starts again at the next connection, and sees the hook then.
     */
    private InstallResult restartAdvice(boolean hooksWereEnabled, List<Path> written) {
        Optional<QemuDaemon> daemon = QemuDaemon.qemuDriver(HostRoot.at(layout.root()));
        String name = daemon.map(QemuDaemon::name).orElse(QemuDaemon.LIBVIRTD);
        if (hooksWereEnabled) {
            return new InstallResult(false, name, written);
        }
        if (daemon.isPresent() && !daemon.get().running()) {
            out.accept(name + " is not running now: its socket starts it at the next connection, and it runs libvirt-hooks then");
            return new InstallResult(false, name, written);
        }
        String how = layout.otherInitRunning() ? "with your init system, e.g. rc-service " + name + " restart or sv restart " + name
                : "systemctl restart " + name;
        out.accept((daemon.isPresent() ? name : "libvirtd (virtqemud on a host with the modular daemons)") + " looks for hooks"
                + " only when it starts and saw none: restart it once (" + how + ") so that it runs libvirt-hooks");
        return new InstallResult(true, name, written);
    }

    /**
     * For libvirt before 6.5, which runs only {@code /etc/libvirt/hooks/qemu}: writes the
     * dispatcher there (listed in the manifest, so uninstall removes it), never over an existing
     * file. Call after {@link #install}.
     *
     * @return true when it wrote the dispatcher (the daemon must then restart to see it)
     */
    public boolean installDispatcher(String script) {
        Path hook = layout.monolithicHook();
        if (Files.exists(hook, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            if (Dispatcher.isOurs(hook)) {
                writeFile(hook, script, "rwxr-xr-x");
                out.accept("updated the dispatcher " + hook);
            } else {
                out.accept("--dispatcher: left " + hook + " alone, it belongs to another tool; it must run " + layout.launcher()
                        + " itself (same arguments, the domain XML on standard input) where libvirt is older than 6.5");
            }
            return false;
        }
        writeFile(hook, script, "rwxr-xr-x");
        List<Path> listed = new ArrayList<>(readManifest());
        listed.add(hook);
        writeManifest(listed);
        out.accept("wrote the dispatcher " + hook + ": libvirt before 6.5 runs only this file, and it runs every executable in "
                + layout.hookDir());
        return true;
    }

    /**
     * Removes what install wrote. Refuses while VMs have state applied (their changes could
     * not be undone any more) unless {@code force}. Keeps a configuration the user edited.
     */
    public void uninstall(boolean force, String configSkeleton) {
        uninstall(force, configSkeleton, false);
    }

    /**
     * As {@link #uninstall(boolean, String)}; with {@code keepConfig} the configuration stays
     * even when it is the unedited skeleton: a distribution package ships it as a config file
     * that its package manager keeps on removal and deletes on purge.
     */
    public void uninstall(boolean force, String configSkeleton, boolean keepConfig) {
        List<Path> journals = journals();
        if (Files.exists(layout.stateDir().resolve("host-sleep.record")) && !force) {
            throw new InstallException("uninstall: " + layout.stateDir().resolve("host-sleep.record") + " lists VMs put to"
                    + " sleep at the last host sleep and not woken; run 'libvirt-hooks host-sleep post' first, or use --force");
        }
        if (!journals.isEmpty() && !force) {
            throw new InstallException("uninstall: " + journals.size() + " VM(s) still have host changes applied ("
                    + layout.stateDir() + "); stop them or run 'libvirt-hooks restore' first, or use --force");
        }
        disableUnits();
        for (Path path : readManifest()) {
            deleteTree(path);
        }
        // The directories install created, deepest first, where nothing else lives in them now.
        List<Path> dirs = new ArrayList<>(readManifestDirs());
        dirs.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        for (Path dir : dirs) {
            try {
                deleteIfEmpty(dir);
            } catch (IOException e) {
                out.accept("warning: could not remove the empty directory " + dir + ": " + e.getMessage());
            }
        }
        if (layout.systemdRunning() && isSystemRoot()) {
            systemctl("daemon-reload");
        }
        try {
            if (Files.exists(layout.config()) && !keepConfig) {
                if (Files.readString(layout.config(), StandardCharsets.UTF_8).equals(configSkeleton)) {
                    Files.delete(layout.config());
                    deleteIfEmpty(layout.config().getParent());
                } else {
                    out.accept("kept your edited configuration " + layout.config());
                }
            }
            deleteTree(layout.manifest());
            deleteIfEmpty(layout.libDir());
            // No journal is left (checked above, or forced): the lock and the log are ours too.
            for (String file : List.of("lock", "hooks.log", "host-power.lock", "host-sleep.record")) {
                Files.deleteIfExists(layout.stateDir().resolve(file));
            }
            // Script logs and per-VM script folders: nothing is applied any more.
            deleteTree(layout.stateDir().resolve("scripts"));
            deleteIfEmpty(layout.stateDir().resolve("nas"));
            deleteIfEmpty(layout.stateDir());
        } catch (IOException e) {
            throw new InstallException("uninstall: " + e.getMessage(), e);
        }
        out.accept("removed libvirt-hooks");
    }

    /**
     * Installs the native executable when the distribution has one ({@code bin/*-runner}); the
     * launcher and the command prefer it to the JVM.
     */
    private java.util.Optional<Path> installNativeExecutable(Path dist) {
        Path bin = dist.resolve("bin");
        if (!Files.isDirectory(bin)) {
            return java.util.Optional.empty();
        }
        try (Stream<Path> files = Files.list(bin)) {
            java.util.Optional<Path> runner = files.filter(p -> p.getFileName().toString().endsWith("-runner")).findFirst();
            if (runner.isEmpty()) {
                return java.util.Optional.empty();
            }
            Path target = layout.libDir().resolve("bin/libvirt-hooks-native");
            Files.createDirectories(target.getParent());
            Files.copy(runner.get(), target, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
            out.accept("installed the native executable " + target);
            return java.util.Optional.of(layout.libDir().resolve("bin"));
        } catch (IOException e) {
            throw new InstallException("install: cannot install the native executable: " + e.getMessage(), e);
        }
    }

    /**
     * Builds the hook's start-up cache for this JDK: a training run of the hook on a sandboxed
     * host records the classes a real run loads, so that later runs map them instead of loading
     * and verifying them. Up to JDK 24 that is a class-data archive ({@code hook.jsa}); from JDK 25
     * on an AOT cache ({@code hook.aot}), which also holds the classes linked, the lambdas and
     * string concatenations resolved and the methods' profiles. The other kind, left from a JDK
     * installed before, is removed. Without a cache hooks still work, only slower.
     */
    private void buildStartupCache(Path java, String classpath) {
        boolean aot = JdkRelease.featureVersion(java).orElse(0) >= JdkRelease.AOT_CACHE;
        Path archive = aot ? layout.aotCache() : layout.classDataArchive();
        String what = aot ? "AOT cache" : "class-data archive";
        Path sandbox = null;
        CacheInputs inputs = CacheInputs.of(java, HOOK_JVM_OPTIONS, classpathEntries(classpath));
        try {
            Files.deleteIfExists(aot ? layout.classDataArchive() : layout.aotCache());
            Files.deleteIfExists(CacheInputs.record(aot ? layout.classDataArchive() : layout.aotCache()));
            if (inputs.built(archive)) {
                out.accept("kept the hook's " + what + " " + archive + ": built for these jars and this JDK");
                return;
            }
            Files.deleteIfExists(archive);
            Files.deleteIfExists(CacheInputs.record(archive));
            sandbox = Files.createTempDirectory("libvirt-hooks-training");
            List<String> argv = new ArrayList<>(List.of(java.toString()));
            argv.addAll(HOOK_JVM_OPTIONS);
            argv.addAll(List.of(aot ? "-XX:AOTCacheOutput=" + archive : "-XX:ArchiveClassesAtExit=" + archive, "-Xlog:disable",
                    "-cp", classpath, "io.github.libvirthooks.features.hook.HookMain", "--train", sandbox.toString()));
            var result = commands.run(argv, Duration.ofSeconds(120));
            if (result.succeeded() && Files.exists(archive)) {
                inputs.recordFor(archive);
                out.accept("built the hook's " + what + " " + archive + " for " + java);
            } else {
                Files.deleteIfExists(archive);
                out.accept("warning: could not build the hook's " + what + " (" + firstLine(result.stderr())
                        + "); hooks work, but start slower");
            }
        } catch (IOException | RuntimeException e) {
            out.accept("warning: could not build the hook's " + what + " (" + e.getMessage() + "); hooks work, but start slower");
        } finally {
            if (sandbox != null) {
                deleteTree(sandbox);
            }
        }
    }

    /**
     * The same for the {@code libvirt-hooks} command (Quarkus and picocli start-up), trained on
     * {@code status --json} against an empty state directory: read-only, touches nothing.
     */
    private void buildCommandArchive(Path java) {
        Path archive = layout.libDir().resolve("cli.jsa");
        Path sandbox = null;
        List<String> options = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
        try {
            CacheInputs inputs = CacheInputs.of(java, options, filesBelow(layout.libDir().resolve("app")));
            if (inputs.built(archive)) {
                out.accept("kept the command's class-data archive " + archive + ": built for these jars and this JDK");
                return;
            }
            Files.deleteIfExists(archive);
            Files.deleteIfExists(CacheInputs.record(archive));
            sandbox = Files.createTempDirectory("libvirt-hooks-training");
            Path config = sandbox.resolve("application.properties");
            Files.writeString(config, "libvirt-hooks.state-dir=" + sandbox.resolve("state") + "\n");
            List<String> argv = new ArrayList<>(List.of(java.toString()));
            argv.addAll(options);
            argv.addAll(List.of("-XX:ArchiveClassesAtExit=" + archive, "-Xlog:disable", "-jar",
                    layout.libDir().resolve("app/quarkus-run.jar").toString(), "status", "--json", "--config", config.toString()));
            var result = commands.run(argv, Duration.ofSeconds(120));
            if (result.succeeded() && Files.exists(archive)) {
                inputs.recordFor(archive);
            } else {
                Files.deleteIfExists(archive);
                out.accept("warning: could not build the command's class-data archive (" + firstLine(result.stderr()) + ")");
            }
        } catch (IOException | RuntimeException e) {
            out.accept("warning: could not build the command's class-data archive (" + e.getMessage() + ")");
        } finally {
            if (sandbox != null) {
                deleteTree(sandbox);
            }
        }
    }

    private static List<Path> classpathEntries(String classpath) {
        return java.util.Arrays.stream(classpath.split(":")).map(Path::of).toList();
    }

    /** Every file of the command's application folder, in a fixed order: what its class-data archive depends on. */
    private static List<Path> filesBelow(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).sorted().toList();
        }
    }

    private static String firstLine(String s) {
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }

    /**
     * The sleep unit is enabled, never started (starting it puts VMs to sleep); the shutdown
     * unit is started too, since it works when it stops.
     */
    private void enableUnits() {
        if (!layout.systemdRunning() || !isSystemRoot()) {
            out.accept("systemd does not run this root: enable the units later with 'systemctl enable libvirt-hooks-sleep.service'"
                    + " and 'systemctl enable --now libvirt-hooks-shutdown.service'");
            return;
        }
        systemctl("daemon-reload");
        systemctl("enable", "libvirt-hooks-sleep.service");
        systemctl("enable", "--now", "libvirt-hooks-shutdown.service");
        out.accept("enabled the systemd units for host sleep and shutdown");
    }

    private void disableUnits() {
        if (!layout.systemdRunning() || !isSystemRoot()) {
            return;
        }
        // Stopping the shutdown unit is safe: it acts only while the system is stopping.
        systemctl("disable", "--now", "libvirt-hooks-shutdown.service");
        systemctl("disable", "libvirt-hooks-sleep.service");
    }

    private boolean isSystemRoot() {
        return layout.root().equals(Path.of("/"));
    }

    private void systemctl(String... args) {
        List<String> argv = new ArrayList<>(List.of("systemctl"));
        argv.addAll(List.of(args));
        var result = commands.run(argv, Duration.ofSeconds(60));
        if (!result.succeeded()) {
            out.accept("warning: " + String.join(" ", argv) + " failed: " + result.stderr().strip());
        }
    }

    /**
     * True when libvirtd (at its last start) found a QEMU hook: the monolithic script or an
     * executable in qemu.d other than ours. Only then does it pick up a new script at once.
     */
    boolean libvirtdSeesHooks() {
        if (Files.isExecutable(layout.monolithicHook())) {
            return true;
        }
        if (!Files.isDirectory(layout.hookDir())) {
            return false;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(layout.hookDir())) {
            for (Path entry : entries) {
                if (Files.isRegularFile(entry) && Files.isExecutable(entry)) {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    private List<Path> journals() {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(layout.stateDir())) {
            return found;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(layout.stateDir(), "*.journal")) {
            files.forEach(found::add);
        } catch (IOException e) {
            throw new InstallException("uninstall: cannot read " + layout.stateDir() + ": " + e.getMessage(), e);
        }
        return found;
    }

    /** The hook's classpath, checked against the distribution before anything is copied. */
    private String hookClasspath(Path app) {
        List<String> entries = new ArrayList<>();
        for (String dir : List.of("lib/boot", "lib/main")) {
            Path jars = app.resolve(dir);
            if (!Files.isDirectory(jars)) {
                continue;
            }
            try (Stream<Path> listing = Files.list(jars)) {
                listing.map(Path::getFileName).map(Path::toString).sorted()
                        .filter(name -> name.endsWith(".jar") && HOOK_JARS.stream().anyMatch(name::startsWith))
                        .forEach(name -> entries.add(layout.libDir().resolve("app").resolve(dir).resolve(name).toString()));
            } catch (IOException e) {
                throw new InstallException("install: cannot list " + jars + ": " + e.getMessage(), e);
            }
        }
        for (String prefix : HOOK_JARS) {
            if (entries.stream().noneMatch(e -> Path.of(e).getFileName().toString().startsWith(prefix))) {
                throw new InstallException("install: the distribution lacks " + prefix + "*.jar in " + app + "/lib");
            }
        }
        return String.join(":", entries);
    }

    private String template(Path file, Path java) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8)
                    .replace("@LIBDIR@", shellQuoteSafe(layout.libDir().toString()))
                    .replace("@CONFIG@", shellQuoteSafe(layout.config().toString()))
                    .replace("@STATEDIR@", shellQuoteSafe(layout.stateDir().toString()))
                    .replace("@JAVA@", shellQuoteSafe(java.toString()))
                    .replace("@JVM_OPTIONS@", String.join(" ", HOOK_JVM_OPTIONS))
                    .replace("@COMMAND@", shellQuoteSafe(layout.command().toString()));
        } catch (IOException e) {
            throw new InstallException("install: cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The launcher holds these paths in single quotes; a path that could break out is refused. */
    private static String shellQuoteSafe(String path) {
        if (path.contains("'") || path.contains("\n")) {
            throw new InstallException("install: refusing path with a quote or newline: " + path);
        }
        return path;
    }

    private void writeFile(Path target, String content, String mode) {
        try {
            createParents(target.getParent());
            Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(mode));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new InstallException("install: cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /** Creates {@code dir} and its missing parents below the root, noting each one created. */
    private void createParents(Path dir) throws IOException {
        List<Path> missing = new ArrayList<>();
        for (Path d = dir; d != null && d.startsWith(layout.root()) && !d.equals(layout.root()) && !Files.exists(d); d = d.getParent()) {
            missing.add(d);
        }
        Files.createDirectories(dir);
        createdDirs.addAll(missing);
    }

    /**
     * One path a line; directories install created end in {@code /} and are removed only when
     * empty. A directory an earlier install created stays listed: a second install finds it.
     */
    private void writeManifest(List<Path> written) {
        StringBuilder text = new StringBuilder();
        for (Path p : written) {
            text.append(layout.root().relativize(p)).append('\n');
        }
        java.util.Set<Path> dirs = new java.util.LinkedHashSet<>(readManifestDirs());
        dirs.addAll(createdDirs);
        for (Path dir : dirs) {
            text.append(layout.root().relativize(dir)).append("/\n");
        }
        writeFile(layout.manifest(), text.toString(), "rw-r--r--");
    }

    private List<Path> readManifest() {
        return readManifest(false);
    }

    private List<Path> readManifestDirs() {
        return readManifest(true);
    }

    /** The manifest's files and trees, or ({@code dirs}) the directories install created. */
    private List<Path> readManifest(boolean dirs) {
        if (!Files.exists(layout.manifest())) {
            return List.of();
        }
        try {
            List<Path> paths = new ArrayList<>();
            for (String line : Files.readAllLines(layout.manifest(), StandardCharsets.UTF_8)) {
                if (line.isBlank() || line.endsWith("/") != dirs) {
                    continue;
                }
                Path p = layout.root().resolve(line).normalize();
                if (!p.startsWith(layout.root()) || line.toLowerCase(Locale.ROOT).contains("..")) {
                    throw new InstallException("uninstall: the manifest " + layout.manifest() + " names " + line
                            + ", outside the install root; remove the files by hand");
                }
                paths.add(p);
            }
            return paths;
        } catch (IOException e) {
            throw new InstallException("uninstall: cannot read " + layout.manifest() + ": " + e.getMessage(), e);
        }
    }

    private static void replaceTree(Path from, Path to) {
        try {
            Path staging = to.resolveSibling("." + to.getFileName() + ".new");
            deleteTree(staging);
            copyTree(from, staging);
            deleteTree(to);
            Files.move(staging, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new InstallException("install: cannot copy " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path source : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static void deleteTree(Path path) {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteIfEmpty(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    return;
                }
            }
            Files.delete(dir);
        }
    }

    /** Reads a classpath resource as text. */
    public static String resource(String name) {
        try (InputStream in = Installer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new InstallException("missing resource " + name + " in the libvirt-hooks jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InstallException("cannot read resource " + name + ": " + e.getMessage(), e);
        }
    }
}
