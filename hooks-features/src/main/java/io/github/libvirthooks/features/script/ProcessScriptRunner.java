package io.github.libvirthooks.features.script;

import io.github.libvirthooks.features.engine.FeatureException;

import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs scripts as real processes: an argument list (no shell), the domain XML written to
 * standard input, standard output and error appended to the VM's script log, the working
 * folder {@code /}, and a time limit.
 *
 * <p>A script may start children (a background {@code sleep}, a daemon that forgot to detach);
 * killing only the script would leave them holding the VM's start hostage or the host changed.
 * Each run is confined ({@link ScriptConfinement}: a systemd scope, or a cgroup of the hook's
 * own) so that at the timeout everything it started dies, even a child that left its process
 * group with {@code setsid}. It also runs under {@code setsid} (util-linux) without forking,
 * which makes the script's PID the ID of a new session and process group; at the timeout the
 * whole group gets SIGKILL ({@code kill -s KILL -- -PGID}), as do the process's descendants,
 * where no cgroup could be had. The log says how each run was confined.
 * Output goes through a capped pipe reader, so a child that keeps the output open cannot hang the hook.
 */
public final class ProcessScriptRunner implements ScriptRunner {
    /** The script log is in /run (memory): past this size its older half is dropped. */
    static final long MAX_LOG_BYTES = 1 << 20;
    /** One run's output kept in the log at most: the log never grows past twice its trim size. */
    static final long MAX_RUN_OUTPUT_BYTES = MAX_LOG_BYTES / 2;
    /** How long a finished script's output is still read: a child it left behind may hold the pipe open. */
    private static final long DRAIN_MILLIS = 2000;
    private static final List<Path> SETSID = List.of(Path.of("/usr/bin/setsid"), Path.of("/bin/setsid"));

    private final CommandRunner commands;
    private final Optional<Path> setsid;
    private final java.util.function.Supplier<ScriptConfinement> detect;
    private ScriptConfinement confinement;

    /**
     * @param commands runs {@code kill} for the process group and {@code systemctl kill} for the scope at a timeout
     */
    public ProcessScriptRunner(CommandRunner commands) {
        // Looked up at the first script: every hook run makes a runner, most run no script.
        this(commands, setsid(), new Detect(commands));
    }

    /** The first setsid that is there (a loop: this runs at every hook event, where a stream's lambdas cost bootstraps). */
    private static Optional<Path> setsid() {
        for (Path candidate : SETSID) {
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Detects the host's confinement at the first script. */
    private static final class Detect implements java.util.function.Supplier<ScriptConfinement> {
        private final CommandRunner commands;

        Detect(CommandRunner commands) {
            this.commands = commands;
        }

        @Override
        public ScriptConfinement get() {
            return ScriptConfinement.detect(Path.of("/"), commands);
        }
    }

    ProcessScriptRunner(CommandRunner commands, Optional<Path> setsid, ScriptConfinement confinement) {
        this(commands, setsid, () -> confinement);
    }

    private ProcessScriptRunner(CommandRunner commands, Optional<Path> setsid, java.util.function.Supplier<ScriptConfinement> detect) {
        this.commands = commands;
        this.setsid = setsid;
        this.detect = detect;
    }

    @Override
    public ScriptResult run(ScriptCall call) {
        if (confinement == null) {
            confinement = detect.get();
        }
        try {
            Files.createDirectories(call.stateFolder(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException | UnsupportedOperationException e) {
            throw new FeatureException("script: cannot create the VM's state folder " + call.stateFolder() + ": " + e.getMessage());
        }
        Path log = call.log();
        String name = ScriptConfinement.nextName();
        List<String> confined = confinement.wrap(call.argv(), name);
        long offset = prepareLog(log, "--- " + Instant.now() + " run " + String.join(" ", printable(call.argv())) + " ("
                + (confined == call.argv() && !(confinement instanceof ScriptConfinement.ProcessGroupOnly)
                        ? "in its process group only: its cgroup could not be made" : confinement.describe(name)) + ")\n");
        List<String> argv = new ArrayList<>();
        setsid.ifPresent(s -> argv.add(s.toString()));
        argv.addAll(confined);
        // Through a pipe, not straight into the log: a script that prints without end must not fill the disk.
        ProcessBuilder builder = new ProcessBuilder(argv)
                .directory(new File("/"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.PIPE);
        // Our own configuration variables are not the script's business; its variables are set below.
        builder.environment().keySet().removeIf(k -> k.startsWith("LIBVIRT_HOOKS_"));
        builder.environment().putAll(call.environment());
        long started = System.nanoTime();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            confinement.finished(name);
            append(log, "--- could not start: " + e.getMessage() + "\n");
            return new ScriptResult(-1, false, Duration.ZERO, "", e.getMessage());
        }
        Thread feeder = new Thread(() -> {
            try (OutputStream in = process.getOutputStream()) {
                in.write(call.stdin());
            } catch (IOException e) {
                // The script does not read its input (or has died): libvirt does not mind either.
            }
        }, "script-stdin");
        feeder.setDaemon(true);
        feeder.start();
        CappedOutput output = new CappedOutput(process.getInputStream(), log, MAX_RUN_OUTPUT_BYTES);
        Thread drain = new Thread(output, "script-output");
        drain.setDaemon(true);
        drain.start();
        boolean timedOut = false;
        try {
            if (!process.waitFor(call.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                timedOut = true;
                kill(process, name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill(process, name);
            timedOut = true;
        }
        confinement.finished(name);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        int exit = timedOut ? -1 : process.exitValue();
        try {
            // A child the script left running may hold the pipe open: its output is not waited for.
            drain.join(DRAIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        output.close();
        append(log, "--- " + (timedOut ? "killed after " + elapsed.toMillis() + " ms (timeout)" : "exit " + exit + " after "
                + elapsed.toMillis() + " ms") + "\n");
        return new ScriptResult(exit, timedOut, elapsed, lastLine(log, offset), "");
    }

    private void kill(Process process, String name) {
        List<ProcessHandle> descendants = process.descendants().toList();
        confinement.killAll(name);
        if (setsid.isPresent()) {
            // The script leads its own process group (setsid without fork): this reaches children that re-parented to init.
            try {
                commands.run(List.of("kill", "-s", "KILL", "--", "-" + process.pid()), Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                // No kill(1): the descendants below are still killed one by one.
            }
        }
        descendants.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Creates the log (mode 0600), trims it when too large, writes the header; returns where this run's output starts. */
    private static long prepareLog(Path log, String header) {
        try {
            Files.createDirectories(log.getParent());
            if (Files.exists(log) && Files.size(log) > MAX_LOG_BYTES) {
                // Only the tail is read, whatever the size the file reached.
                int keep = (int) (MAX_LOG_BYTES / 2);
                byte[] tail = new byte[keep];
                try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
                    file.seek(file.length() - keep);
                    file.readFully(tail);
                }
                Files.write(log, tail);
            }
            if (!Files.exists(log)) {
                Files.createFile(log, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            append(log, header);
            return Files.size(log);
        } catch (IOException | UnsupportedOperationException e) {
            return 0;
        }
    }

    /**
     * Copies a script's output into its log up to {@code cap} bytes, then reads on without
     * keeping, so that the script never blocks on a full pipe; says at the end how much it dropped.
     */
    private static final class CappedOutput implements Runnable {
        private final java.io.InputStream in;
        private final Path log;
        private final long cap;
        private volatile long seen;

        CappedOutput(java.io.InputStream in, Path log, long cap) {
            this.in = in;
            this.log = log;
            this.cap = cap;
        }

        @Override
        public void run() {
            byte[] buffer = new byte[8192];
            try (OutputStream out = Files.newOutputStream(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    long kept = Math.max(0, Math.min(n, cap - seen));
                    if (kept > 0) {
                        out.write(buffer, 0, (int) kept);
                        out.flush();
                    }
                    seen += n;
                }
            } catch (IOException e) {
                // The pipe closed with the process, or the log cannot be written: the run's outcome is reported anyway.
            }
        }

        void close() {
            if (seen > cap) {
                append(log, "\n--- output cut: " + cap + " bytes kept, " + (seen - cap) + " dropped\n");
            }
        }
    }

    private static void append(Path log, String text) {
        try {
            Files.writeString(log, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // The log is for people; the run's outcome is reported anyway.
        }
    }

    /** The last non-empty output line of this run, before the footer. */
    private static String lastLine(Path log, long from) {
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long end = file.length();
            long start = Math.max(from, end - 8192);
            byte[] bytes = new byte[(int) (end - start)];
            file.seek(start);
            file.readFully(bytes);
            String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n");
            for (int i = lines.length - 1; i >= 0; i--) {
                String line = lines[i].strip();
                if (!line.isEmpty() && !line.startsWith("--- ")) {
                    return line.length() > 300 ? line.substring(0, 300) + "..." : line;
                }
            }
        } catch (IOException e) {
            // nothing to quote
        }
        return "";
    }

    private static List<String> printable(List<String> argv) {
        return argv.stream().map(a -> a.codePoints().anyMatch(c -> c < 0x20 || c == ' ' || c == '\'' || c == '"')
                ? "'" + a.replaceAll("[\\x00-\\x1f]", "?").replace("'", "'\\''") + "'" : a).toList();
    }
}
