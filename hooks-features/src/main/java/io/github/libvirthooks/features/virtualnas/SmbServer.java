package io.github.libvirthooks.features.virtualnas;

import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.exec.CommandException;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Starts and stops one VM's private {@code smbd}: as a transient systemd service where systemd
 * runs (its cgroup holds every helper smbd spawns, and {@code systemctl stop} ends them all), else
 * as a daemon found again by its configuration file argument. Every command is an argument list
 * with a timeout; starting waits until the server really listens.
 */
final class SmbServer {
    static final int PORT = 445;
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    static final Duration STOP_WAIT = Duration.ofSeconds(5);
    private static final long POLL_MILLIS = 100;

    /** How the server is kept alive and found again. */
    enum Supervisor {
        /** {@code systemd-run --unit=...}: a transient service, stopped with {@code systemctl stop}. */
        SYSTEMD,
        /** {@code smbd --daemon}: a tracked process, stopped by signal. */
        PROCESS;

        String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final CommandRunner commands;
    private final ProcessTable processes;
    private final List<String> wrapper;

    /**
     * @param wrapper a command that smbd's start runs under (for example {@code ip netns exec NS}
     *                in tests); empty on a real host
     */
    SmbServer(CommandRunner commands, ProcessTable processes, List<String> wrapper) {
        this.commands = commands;
        this.processes = processes;
        this.wrapper = List.copyOf(wrapper);
    }

    /** The argument that names our configuration file, and so finds our processes. */
    static String configArgument(Path config) {
        return "--configfile=" + config;
    }

    /**
     * Starts smbd with {@code config} and waits until it listens on {@code address:445}.
     *
     * @return the pid of the main smbd
     * @throws FeatureException when it cannot start or does not listen in time, with the log's last lines
     */
    long start(Supervisor supervisor, Path smbd, String unit, Path config, SmbConf conf, Path runDir, Duration timeout) {
        List<String> argv = new ArrayList<>(wrapper);
        if (supervisor == Supervisor.SYSTEMD) {
            argv.addAll(List.of("systemd-run", "--unit=" + unit, "--description=libvirt-hooks virtual-nas share", "--collect",
                    "--quiet", "--", smbd.toString(), "--foreground", "--no-process-group", configArgument(config)));
        } else {
            argv.addAll(List.of(smbd.toString(), "--daemon", configArgument(config)));
        }
        CommandResult started;
        try {
            started = commands.run(argv, COMMAND_TIMEOUT).orThrow();
        } catch (CommandException e) {
            throw new FeatureException("cannot start smbd: " + e.getMessage() + logTail(runDir), e);
        }
        if (!started.performed()) {
            // A dry run: no server to wait for.
            return 0;
        }
        return awaitListening(config, runDir.resolve("pid/smbd.pid"), conf.address(), runDir, timeout);
    }

    private long awaitListening(Path config, Path pidFile, Ipv4 address, Path runDir, Duration timeout) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        String argument = configArgument(config);
        while (true) {
            Optional<Long> pid = readPid(pidFile);
            if (pid.isPresent() && processes.listens(pid.get(), address, PORT)) {
                return pid.get();
            }
            boolean settled = System.nanoTime() - start > Duration.ofMillis(500).toNanos();
            if (settled && processes.withArgument(argument).isEmpty()) {
                throw new FeatureException("smbd stopped right after starting" + logTail(runDir));
            }
            if (System.nanoTime() > deadline) {
                throw new FeatureException("smbd did not listen on " + address + ":" + PORT + " within " + timeout.toSeconds() + " s"
                        + logTail(runDir));
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FeatureException("interrupted while waiting for smbd to listen", e);
            }
        }
    }

    /**
     * Stops the server of {@code config}: its systemd unit if it has one, then any process still
     * running with that configuration (smbd's RPC helpers leave its process group). Safe to run twice.
     *
     * @throws FeatureException when a process survives SIGKILL
     */
    void stop(Optional<String> unit, Path config) {
        if (unit.isPresent()) {
            try {
                CommandResult result = commands.run(List.of("systemctl", "stop", unit.get()), COMMAND_TIMEOUT);
                // 5: the unit is not loaded any more, which is what we want.
                if (!result.succeeded() && result.exitCode() != 5) {
                    result.orThrow();
                }
            } catch (CommandException e) {
                // Go on and signal the processes ourselves.
            }
        }
        String argument = configArgument(config);
        for (String signal : List.of("-TERM", "-KILL")) {
            List<Long> pids = processes.withArgument(argument);
            if (pids.isEmpty()) {
                return;
            }
            List<String> argv = new ArrayList<>(List.of("kill", signal, "--"));
            pids.forEach(p -> argv.add(Long.toString(p)));
            try {
                // Some may be gone already: kill's status does not matter, what is left does.
                commands.run(argv, COMMAND_TIMEOUT);
            } catch (CommandException e) {
                throw new FeatureException("cannot signal smbd " + pids + ": " + e.getMessage(), e);
            }
            long deadline = System.nanoTime() + STOP_WAIT.toNanos();
            while (!processes.withArgument(argument).isEmpty() && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(POLL_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        List<Long> left = processes.withArgument(argument);
        if (!left.isEmpty()) {
            throw new FeatureException("smbd processes " + left + " of " + config + " survived SIGKILL; check them with ps");
        }
    }

    private static Optional<Long> readPid(Path pidFile) {
        try {
            String text = Files.readString(pidFile, StandardCharsets.US_ASCII).strip();
            return text.matches("[1-9][0-9]{0,9}") ? Optional.of(Long.parseLong(text)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The last lines of smbd's log, which say why it stopped (address not found, port taken, bad path). */
    static String logTail(Path runDir) {
        try {
            List<String> lines = Files.readAllLines(runDir.resolve("log.smbd"), StandardCharsets.UTF_8).stream()
                    .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("[")).toList();
            if (lines.isEmpty()) {
                return "";
            }
            String tail = String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
            return "; smbd's log " + runDir.resolve("log.smbd") + " ends: " + (tail.length() > 400 ? tail.substring(0, 400) : tail);
        } catch (IOException e) {
            return "";
        }
    }
}
