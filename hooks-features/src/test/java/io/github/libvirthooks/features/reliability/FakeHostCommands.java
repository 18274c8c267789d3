package io.github.libvirthooks.features.reliability;

import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.testkit.FakeHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The commands the features run, answered on a {@link FakeHost} the way the real tools
 * would, with every effect kept in the tree so that snapshots see it:
 * {@code systemctl show|set-property --runtime UNIT AllowedCPUs} keeps the property in
 * {@code /run/systemd/fake-allowed-cpus/UNIT} and writes the unit's {@code cpuset.cpus} like
 * systemd; {@code chrt} and {@code renice} rewrite the thread's {@code stat}. Any other argv
 * fails with status 127 and is recorded, so that a test sees a command it did not expect.
 */
final class FakeHostCommands implements CommandRunner {
    static final List<String> UNITS = List.of("init.scope", "system.slice", "user.slice", "machine.slice");
    static final String PROPERTY_DIR = "/run/systemd/fake-allowed-cpus";

    private final Path root;
    private final io.github.libvirthooks.features.gpuhandoff.FakeGpuCommands gpu;
    private final io.github.libvirthooks.features.lookingglass.FakeKvmfr kvmfr;
    private final List<List<String>> ran = new ArrayList<>();
    private final List<List<String>> unexpected = new ArrayList<>();

    FakeHostCommands(Path root) {
        this.root = root;
        this.gpu = new io.github.libvirthooks.features.gpuhandoff.FakeGpuCommands(FakeHost.attach(root));
        this.kvmfr = new io.github.libvirthooks.features.lookingglass.FakeKvmfr(FakeHost.attach(root), false);
    }

    synchronized List<List<String>> ran() {
        return List.copyOf(ran);
    }

    /** Commands that are none of the tools above. */
    synchronized List<List<String>> unexpected() {
        return List.copyOf(unexpected);
    }

    @Override
    public synchronized CommandResult run(List<String> argv, Duration timeout) {
        ran.add(List.copyOf(argv));
        java.util.Optional<CommandResult> lookingGlass = kvmfr.answer(argv);
        if (lookingGlass.isPresent()) {
            return lookingGlass.get();
        }
        java.util.Optional<CommandResult> handoff = gpu.answer(argv);
        if (handoff.isPresent()) {
            return handoff.get();
        }
        switch (argv.get(0)) {
            case "systemctl" -> {
                return systemctl(argv);
            }
            case "chrt", "renice" -> {
                return schedule(argv);
            }
            default -> {
                unexpected.add(List.copyOf(argv));
                return new CommandResult(argv, 127, "", argv.get(0) + ": command not found\n");
            }
        }
    }

    private CommandResult systemctl(List<String> argv) {
        if (argv.size() == 6 && argv.subList(1, 5).equals(List.of("show", "-p", "AllowedCPUs", "--value"))) {
            Path property = path(PROPERTY_DIR + "/" + argv.get(5));
            // As systemd prints a CPU set: ranges separated by blanks ("0 2-3"), not the kernel's commas.
            return new CommandResult(argv, 0, io.github.libvirthooks.features.isolcpu.FakeSystemctl.asSystemdPrints(
                    Files.exists(property) ? read(property).strip() : "") + "\n", "");
        }
        if (argv.size() == 5 && argv.get(1).equals("set-property") && argv.get(2).equals("--runtime")
                && argv.get(4).startsWith("AllowedCPUs=")) {
            String unit = argv.get(3);
            String cpus = argv.get(4).substring("AllowedCPUs=".length());
            write(path(PROPERTY_DIR + "/" + unit), cpus.isEmpty() ? "" : cpus + "\n");
            Path cpuset = path(FakeHost.CGROUP + "/" + unit + "/cpuset.cpus");
            if (Files.exists(cpuset)) {
                write(cpuset, cpus + "\n");
            }
            return new CommandResult(argv, 0, "", "");
        }
        unexpected.add(List.copyOf(argv));
        return new CommandResult(argv, 1, "", "Unknown command verb " + argv.get(1) + ".\n");
    }

    private CommandResult schedule(List<String> argv) {
        int tid;
        try {
            tid = Integer.parseInt(argv.get(argv.size() - 1));
        } catch (NumberFormatException e) {
            unexpected.add(List.copyOf(argv));
            return new CommandResult(argv, 1, "", argv.get(0) + ": bad pid\n");
        }
        Path stat = path("/proc/" + tid + "/task/" + tid + "/stat");
        if (!Files.exists(stat)) {
            return new CommandResult(argv, 1, "", argv.get(0) + ": failed to get pid " + tid + "'s policy: No such process\n");
        }
        String text = read(stat).strip();
        String comm = text.substring(text.indexOf('(') + 1, text.lastIndexOf(')'));
        String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
        int nice = Integer.parseInt(f[19 - 3]);
        int rt = Integer.parseInt(f[40 - 3]);
        int policy = Integer.parseInt(f[41 - 3]);
        if (argv.get(0).equals("chrt")) {
            policy = switch (argv.get(1)) {
                case "--other" -> 0;
                case "--fifo" -> 1;
                case "--rr" -> 2;
                case "--batch" -> 3;
                case "--idle" -> 5;
                default -> throw new AssertionError(argv);
            };
            rt = Integer.parseInt(argv.get(3));
        } else {
            nice = Integer.parseInt(argv.get(2));
        }
        write(stat, FakeHost.threadStat(tid, comm, policy, rt, nice) + "\n");
        return new CommandResult(argv, 0, "", "");
    }

    /** systemd runs as PID 1 on {@code host}; its units' AllowedCPUs start unset. */
    static void systemd(FakeHost host) {
        host.systemd();
        for (String unit : UNITS) {
            host.file(PROPERTY_DIR + "/" + unit, "");
        }
    }

    private Path path(String hostPath) {
        return root.resolve(hostPath.substring(1));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
