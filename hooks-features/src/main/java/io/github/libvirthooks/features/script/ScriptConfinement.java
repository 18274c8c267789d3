package io.github.libvirthooks.features.script;

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
                Optional<Path> mount = unifiedMount(root);
                Optional<String> own = ownPath(root);
                if (mount.isEmpty() || own.isEmpty()) {
                    return Optional.empty();
                }
                Path parent = mount.get().resolve(own.get().substring(1)).normalize();
                if (!parent.startsWith(mount.get()) || !Files.isWritable(parent) || !Files.exists(parent.resolve("cgroup.procs"))) {
                    return Optional.empty();
                }
                return Optional.of(new OwnCgroup(parent));
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
        }

        /** Where cgroup2 is mounted: {@code /sys/fs/cgroup} on a unified host, {@code .../unified} on a hybrid one. */
        private static Optional<Path> unifiedMount(Path root) throws IOException {
            for (String line : Files.readAllLines(root.resolve("proc/self/mountinfo"), StandardCharsets.UTF_8)) {
                int dash = line.indexOf(" - ");
                String[] head = line.substring(0, Math.max(dash, 0)).split(" ");
                String[] tail = dash < 0 ? new String[0] : line.substring(dash + 3).split(" ");
                if (tail.length > 0 && tail[0].equals("cgroup2") && head.length > 4 && head[3].equals("/")) {
                    return Optional.of(root.resolve(head[4].replace("\\040", " ").substring(1)));
                }
            }
            return Optional.empty();
        }

        private static Optional<String> ownPath(Path root) throws IOException {
            for (String line : Files.readAllLines(root.resolve("proc/self/cgroup"), StandardCharsets.UTF_8)) {
                if (line.startsWith("0::/")) {
                    return Optional.of(line.substring(3).strip());
                }
            }
            return Optional.empty();
        }

        Path dir(String name) {
            return parent.resolve(name);
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
