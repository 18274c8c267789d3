package io.github.libvirthooks.features.gpuhandoff;

import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.testkit.FakeHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * systemctl and modprobe as gpu-handoff runs them, answered on a {@link FakeHost}: a unit's
 * state lives in {@code /run/systemd/fake-units/<unit>} ({@code active} or {@code inactive});
 * stopping it ends the fake processes in its cgroup; {@code display-manager.service} is an alias
 * of {@code gdm.service}; {@code modprobe -r} and {@code modprobe} take a module's line out of
 * {@code /proc/modules} and put it back where it was.
 */
public final class FakeGpuCommands {
    public static final String UNITS = "/run/systemd/fake-units";
    private final FakeHost host;
    private String modulesAsBooted;

    public FakeGpuCommands(FakeHost host) {
        this.host = host;
    }

    /** systemd runs, with gdm active under its alias. */
    public static void systemdWithGdm(FakeHost host) {
        host.dir("/run/systemd/system").file(UNITS + "/gdm.service", "active");
    }

    /** The answer to {@code argv}, or empty when it is not a command this fake knows. */
    public Optional<CommandResult> answer(List<String> argv) {
        if (argv.size() == 3 && argv.get(0).equals("systemctl") && argv.get(1).equals("is-active")) {
            String state = state(id(argv.get(2)));
            return Optional.of(new CommandResult(argv, state.equals("active") ? 0 : 3, state + "\n", ""));
        }
        if (argv.size() == 6 && argv.subList(0, 5).equals(List.of("systemctl", "show", "-p", "Id", "--value"))) {
            return Optional.of(new CommandResult(argv, 0, id(argv.get(5)) + "\n", ""));
        }
        if (argv.size() >= 3 && argv.get(0).equals("systemctl") && (argv.get(1).equals("stop") || argv.get(1).equals("start"))) {
            for (String unit : argv.subList(2, argv.size())) {
                String id = id(unit);
                if (argv.get(1).equals("stop")) {
                    endProcessesOf(id);
                }
                host.file(UNITS + "/" + id, argv.get(1).equals("stop") ? "inactive" : "active");
            }
            return Optional.of(new CommandResult(argv, 0, "", ""));
        }
        if (argv.get(0).equals("modprobe")) {
            return Optional.of(modprobe(argv));
        }
        return Optional.empty();
    }

    private String id(String unit) {
        return unit.equals("display-manager.service") ? "gdm.service" : unit;
    }

    private String state(String id) {
        Path file = host.local(UNITS + "/" + id);
        return Files.exists(file) ? host.read(UNITS + "/" + id).strip() : "inactive";
    }

    private void endProcessesOf(String id) {
        try (Stream<Path> procs = Files.list(host.local("/proc"))) {
            for (Path p : procs.toList()) {
                Path cgroup = p.resolve("cgroup");
                if (p.getFileName().toString().matches("[0-9]+") && Files.exists(cgroup)
                        && Files.readString(cgroup).contains("/" + id)) {
                    host.deleteTree("/proc/" + p.getFileName());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private CommandResult modprobe(List<String> argv) {
        if (modulesAsBooted == null) {
            modulesAsBooted = host.read("/proc/modules");
        }
        boolean remove = argv.size() == 3 && argv.get(1).equals("-r");
        String module = argv.get(argv.size() - 1);
        List<String> now = new ArrayList<>(List.of(host.read("/proc/modules").split("\n")));
        if (remove) {
            now.removeIf(l -> l.startsWith(module + " "));
        } else {
            now.add(module);
        }
        List<String> kept = new ArrayList<>();
        for (String line : modulesAsBooted.split("\n")) {
            String name = line.split(" ")[0];
            if (now.stream().anyMatch(l -> l.equals(name) || l.startsWith(name + " "))) {
                kept.add(line);
            }
        }
        host.file("/proc/modules", String.join("\n", kept));
        return new CommandResult(argv, 0, "", "");
    }
}
