package io.github.libvirthooks.features.virtualnas;

import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Plays smbd, systemd-run, systemctl and kill for the feature, and the process table that finds
 * the servers again: a started server writes its pid file like smbd and "listens" unless told
 * not to. The real smbd runs in the deployment module's network-namespace test.
 */
final class FakeSmbd implements CommandRunner, ProcessTable {
    final List<List<String>> ran = new ArrayList<>();
    /** pid to its arguments. */
    final Map<Long, List<String>> processes = new TreeMap<>();
    /** unit to the pid of its main process. */
    final Map<String, Long> units = new TreeMap<>();
    boolean listen = true;
    boolean exitAtOnce;
    private long nextPid = 4242;

    @Override
    public CommandResult run(List<String> argv, Duration timeout) {
        ran.add(argv);
        String cmd = argv.get(0);
        if (cmd.equals("systemd-run")) {
            String unit = argv.stream().filter(a -> a.startsWith("--unit=")).findFirst().orElseThrow().substring(7);
            long pid = spawn(argv.subList(argv.indexOf("--") + 1, argv.size()));
            units.put(unit, pid);
            return ok(argv);
        }
        if (cmd.endsWith("/smbd")) {
            spawn(argv);
            return ok(argv);
        }
        if (cmd.equals("systemctl") && argv.get(1).equals("stop")) {
            Long pid = units.remove(argv.get(2));
            if (pid == null) {
                return new CommandResult(argv, 5, "", "Failed to stop " + argv.get(2) + ": Unit " + argv.get(2) + " not loaded.\n");
            }
            processes.remove(pid);
            return ok(argv);
        }
        if (cmd.equals("kill")) {
            argv.subList(3, argv.size()).forEach(p -> processes.remove(Long.parseLong(p)));
            return ok(argv);
        }
        return new CommandResult(argv, 127, "", cmd + ": command not found\n");
    }

    private long spawn(List<String> argv) {
        String config = argv.stream().filter(a -> a.startsWith("--configfile=")).findFirst().orElseThrow().substring(13);
        Path runDir = Path.of(config).getParent();
        long pid = nextPid++;
        try {
            if (exitAtOnce) {
                Files.writeString(runDir.resolve("log.smbd"), "[2026/11/25 23:13:03.852232,  0] ../../source3/smbd/server.c:1741(main)\n"
                        + "  smbd version 4.17.12-Debian started.\n"
                        + "[2026/11/25 23:13:03.900000,  0] ../../source3/smbd/server.c:1100(open_sockets_smbd)\n"
                        + "  open_sockets_smbd: No sockets available to bind to.\n");
                return pid;
            }
            Files.writeString(runDir.resolve("pid/smbd.pid"), pid + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        processes.put(pid, List.copyOf(argv));
        return pid;
    }

    @Override
    public List<Long> withArgument(String argument) {
        return processes.entrySet().stream().filter(e -> e.getValue().contains(argument)).map(Map.Entry::getKey).toList();
    }

    @Override
    public boolean listens(long pid, Ipv4 address, int port) {
        return listen && processes.containsKey(pid) && port == 445;
    }

    private static CommandResult ok(List<String> argv) {
        return new CommandResult(argv, 0, "", "");
    }
}
