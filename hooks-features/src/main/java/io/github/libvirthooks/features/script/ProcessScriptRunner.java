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
 * Java cannot make a process group itself, so the script runs under {@code setsid} (util-linux)
 * without forking, which makes the script's PID the ID of a new session and process group; at
 * the timeout the whole group gets SIGKILL ({@code kill -s KILL -- -PGID}), as do the process's
 * descendants that left the group. Without {@code setsid}, descendants are killed one by one.
 * Output goes to a file, not a pipe, so a child that keeps the output open cannot hang the hook.
 */
public final class ProcessScriptRunner implements ScriptRunner {
    /** The script log is in /run (memory): past this size its older half is dropped. */
    static final long MAX_LOG_BYTES = 1 << 20;
    private static final List<Path> SETSID = List.of(Path.of("/usr/bin/setsid"), Path.of("/bin/setsid"));

    private final CommandRunner commands;
    private final Optional<Path> setsid;

    /**
     * @param commands runs {@code kill} for the process group at a timeout
     */
    public ProcessScriptRunner(CommandRunner commands) {
        this(commands, SETSID.stream().filter(Files::isExecutable).findFirst());
    }

    ProcessScriptRunner(CommandRunner commands, Optional<Path> setsid) {
        this.commands = commands;
        this.setsid = setsid;
    }

    @Override
    public ScriptResult run(ScriptCall call) {
        try {
            Files.createDirectories(call.stateFolder(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException | UnsupportedOperationException e) {
            throw new FeatureException("script: cannot create the VM's state folder " + call.stateFolder() + ": " + e.getMessage());
        }
        Path log = call.log();
        long offset = prepareLog(log, "--- " + Instant.now() + " run " + String.join(" ", printable(call.argv())) + "\n");
        List<String> argv = new ArrayList<>();
        setsid.ifPresent(s -> argv.add(s.toString()));
        argv.addAll(call.argv());
        ProcessBuilder builder = new ProcessBuilder(argv)
                .directory(new File("/"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // Our own configuration variables are not the script's business; its variables are set below.
        builder.environment().keySet().removeIf(k -> k.startsWith("LIBVIRT_HOOKS_"));
        builder.environment().putAll(call.environment());
        long started = System.nanoTime();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
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
        boolean timedOut = false;
        try {
            if (!process.waitFor(call.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                timedOut = true;
                kill(process);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill(process);
            timedOut = true;
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        int exit = timedOut ? -1 : process.exitValue();
        append(log, "--- " + (timedOut ? "killed after " + elapsed.toMillis() + " ms (timeout)" : "exit " + exit + " after "
                + elapsed.toMillis() + " ms") + "\n");
        return new ScriptResult(exit, timedOut, elapsed, lastLine(log, offset), "");
    }

    private void kill(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
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
                byte[] all = Files.readAllBytes(log);
                int keep = (int) (MAX_LOG_BYTES / 2);
                Files.write(log, Arrays.copyOfRange(all, all.length - keep, all.length));
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
