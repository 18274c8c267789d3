package io.github.libvirthooks.features.script;

import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cgroup.CgroupMounts;
import io.github.libvirthooks.sysfs.cgroup.ProcCgroup;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Where a script runs so that everything it starts can be killed at its timeout. A process
 * group is not enough: a child that calls {@code setsid} (a daemon that detaches twice) leaves
 * it and would outlive the kill, still holding the VM's start or the host. A control group
 * holds every descendant whatever it does, so the script runs in one of its own:
 * <ul>
 * <li>where systemd runs, a transient scope ({@code systemd-run --scope}), killed with
 *     {@code systemctl kill --signal=SIGKILL};</li>
 * <li>else, on cgroup v2, a child cgroup of the hook's own cgroup, which the script enters
 *     before it starts, killed through {@code cgroup.kill} (or process by process on kernels
 *     before 5.14);</li>
 * <li>else only its process group, and the log says that children which leave it survive.</li>
 * </ul>
 */
public sealed interface ScriptConfinement {
    /** The argument list that starts {@code argv} confined; {@code name} is unique per run. */
    List<String> wrap(List<String> argv, String name);

    /** Kills every process of the run {@code name}; never throws. */
    void killAll(String name);

    /** After the run: removes what it made, when nothing of the run is left alive. */
    void finished(String name);

    /** For the script log: how this run is confined. */
    String describe(String name);

    /** A fresh name for one run of this hook process. */
    static String nextName() {
        return "libvirt-hooks-script-" + ProcessHandle.current().pid() + "-" + Counter.NEXT.incrementAndGet();
    }

    /**
     * The best confinement this machine offers. {@code root} is the real root ({@code /}): scripts
     * run on this machine whatever host root the features read.
     */
    static ScriptConfinement detect(Path root, CommandRunner commands) {
        Optional<Path> systemdRun = Stream.of("usr/bin/systemd-run", "bin/systemd-run").map(root::resolve)
                .filter(Files::isExecutable).findFirst();
        if (systemdRun.isPresent() && Files.isDirectory(root.resolve("run/systemd/system"))) {
            return new SystemdScope(systemdRun.get(), commands);
        }
        return OwnCgroup.find(root).map(ScriptConfinement.class::cast).orElse(new ProcessGroupOnly(
                "no systemd and no writable cgroup v2 of the hook's own"));
    }

    /** A transient systemd scope per run. */
    record SystemdScope(Path systemdRun, CommandRunner commands) implements ScriptConfinement {
        @Override
        public List<String> wrap(List<String> argv, String name) {
            List<String> wrapped = new ArrayList<>(List.of(systemdRun.toString(), "--quiet", "--scope", "--collect",
                    "--unit=" + name + ".scope", "--description=libvirt-hooks script", "--"));
            wrapped.addAll(argv);
            return wrapped;
        }

        @Override
        public void killAll(String name) {
            try {
                commands.run(List.of("systemctl", "kill", "--signal=SIGKILL", "--", name + ".scope"), Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                // The process group kill still runs; the scope is collected once empty.
            }
        }

        @Override
        public void finished(String name) {
            // --collect: systemd removes the scope once its last process is gone.
        }

        @Override
        public String describe(String name) {
            return "in systemd scope " + name + ".scope";
        }
    }

    /** A child cgroup (v2) of the hook's own cgroup per run. */
    record OwnCgroup(Path parent) implements ScriptConfinement {
        /** Enters the cgroup in $0 (a fixed text: the cgroup and the script come as arguments, never as shell code). */
        static final String ENTER = "echo 0 > \"$0/cgroup.procs\" && exec \"$@\"";

        /** The hook's own cgroup v2 directory, when it can hold children of ours. */
        static Optional<OwnCgroup> find(Path root) {
            try {
                HostRoot host = HostRoot.at(root);
                // Only a mount of the hierarchy's root: below another, the hook's own path does not resolve.
                Optional<Path> mount = CgroupMounts.read(host).unifiedMount().filter(m -> m.root().equals("/"))
                        .map(m -> host.resolve(m.mountPoint()));
                Optional<String> own = host.readIfExists("/proc/self/cgroup").flatMap(ProcCgroup::unified)
                        .filter(p -> p.startsWith("/"));
                if (mount.isEmpty() || own.isEmpty()) {
                    return Optional.empty();
                }
                Path parent = mount.get().resolve(own.get().substring(1)).normalize();
                if (!parent.startsWith(mount.get()) || !Files.isWritable(parent) || !Files.exists(parent.resolve("cgroup.procs"))) {
                    return Optional.empty();
                }
                OwnCgroup cgroup = new OwnCgroup(parent);
                cgroup.sweep();
                return Optional.of(cgroup);
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        }

        Path dir(String name) {
            return parent.resolve(name);
        }

        /**
         * Removes the cgroups of earlier hook processes that are gone, once empty: a child a script
         * left running (a daemon) keeps its run's cgroup past {@link #finished}, and nobody else
         * would remove it when that child ends.
         */
        void sweep() {
            try (Stream<Path> children = Files.list(parent)) {
                for (Path dir : (Iterable<Path>) children::iterator) {
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("libvirt-hooks-script-([0-9]{1,9})-[0-9]+")
                            .matcher(dir.getFileName().toString());
                    if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty() && !populated(dir)) {
                        Files.deleteIfExists(dir);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // Left for the next hook run: a stale empty cgroup is harmless.
            }
        }

        @Override
        public List<String> wrap(List<String> argv, String name) {
            try {
                Files.createDirectory(dir(name));
            } catch (IOException e) {
                // Started unconfined rather than not at all; the log says so.
                return argv;
            }
            List<String> wrapped = new ArrayList<>(List.of("/bin/sh", "-c", ENTER, dir(name).toString()));
            wrapped.addAll(argv);
            return wrapped;
        }

        @Override
        public void killAll(String name) {
            Path dir = dir(name);
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            for (int round = 0; round < 50 && populated(dir); round++) {
                if (Files.exists(dir.resolve("cgroup.kill"))) {
                    write(dir.resolve("cgroup.kill"), "1");
                } else {
                    // Before 5.14: one by one, again until no fork slips through.
                    procs(dir).forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
                }
                sleepBriefly();
            }
        }

        @Override
        public void finished(String name) {
            Path dir = dir(name);
            // A child the script left running (a daemon it started on purpose) keeps its cgroup until it ends.
            for (int i = 0; i < 20 && populated(dir); i++) {
                sleepBriefly();
            }
            if (!populated(dir)) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    // Still populated after all: left for the kernel to report, harmless.
                }
            }
        }

        @Override
        public String describe(String name) {
            return "in cgroup " + dir(name);
        }

        private static boolean populated(Path dir) {
            try {
                for (String line : Files.readAllLines(dir.resolve("cgroup.events"), StandardCharsets.UTF_8)) {
                    if (line.startsWith("populated ")) {
                        return !line.endsWith(" 0");
                    }
                }
                return !procs(dir).isEmpty();
            } catch (IOException e) {
                return false;
            }
        }

        private static List<Long> procs(Path dir) {
            try {
                return Files.readAllLines(dir.resolve("cgroup.procs"), StandardCharsets.UTF_8).stream().map(String::strip)
                        .filter(s -> s.matches("[0-9]+")).map(Long::parseLong).toList();
            } catch (IOException e) {
                return List.of();
            }
        }

        private static void write(Path file, String value) {
            try {
                Files.writeString(file, value);
            } catch (IOException e) {
                // The next round reads the cgroup again.
            }
        }

        private static void sleepBriefly() {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Only the script's process group (setsid) and its descendants as Java sees them. */
    record ProcessGroupOnly(String why) implements ScriptConfinement {
        @Override
        public List<String> wrap(List<String> argv, String name) {
            return argv;
        }

        @Override
        public void killAll(String name) {
        }

        @Override
        public void finished(String name) {
        }

        @Override
        public String describe(String name) {
            return "in its process group only (" + why + "): a child that leaves it with setsid survives the timeout";
        }
    }

    /** Run numbers of this process. */
    final class Counter {
        static final AtomicInteger NEXT = new AtomicInteger();

        private Counter() {
        }
    }
}
