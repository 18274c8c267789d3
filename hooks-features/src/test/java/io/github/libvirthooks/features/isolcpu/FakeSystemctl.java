package io.github.libvirthooks.features.isolcpu;

import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Answers {@code systemctl show -p AllowedCPUs --value UNIT} and
 * {@code systemctl set-property --runtime UNIT AllowedCPUs=LIST} like systemd does, keeping
 * each unit's property, and records every argv. The real systemd is exercised in the lab guest.
 */
public final class FakeSystemctl implements CommandRunner {
    final List<List<String>> ran = new ArrayList<>();
    final Map<String, String> allowedCpus = new TreeMap<>();
    final Set<String> refuse = new HashSet<>();

    @Override
    public CommandResult run(List<String> argv, Duration timeout) {
        ran.add(argv);
        if (!argv.get(0).equals("systemctl")) {
            return new CommandResult(argv, 127, "", argv.get(0) + ": command not found\n");
        }
        if (argv.size() == 6 && argv.subList(1, 5).equals(List.of("show", "-p", "AllowedCPUs", "--value"))) {
            return new CommandResult(argv, 0, asSystemdPrints(allowedCpus.getOrDefault(argv.get(5), "")) + "\n", "");
        }
        if (argv.size() == 5 && argv.get(1).equals("set-property") && argv.get(2).equals("--runtime")
                && argv.get(4).startsWith("AllowedCPUs=")) {
            String unit = argv.get(3);
            if (refuse.contains(unit)) {
                return new CommandResult(argv, 1, "", "Failed to set unit properties on " + unit + ": Access denied\n");
            }
            allowedCpus.put(unit, argv.get(4).substring("AllowedCPUs=".length()));
            return new CommandResult(argv, 0, "", "");
        }
        return new CommandResult(argv, 1, "", "Unknown command verb " + argv.get(1) + ".\n");
    }

    /** The set-property calls only, as argv lists. */
    List<List<String>> sets() {
        return ran.stream().filter(a -> a.get(1).equals("set-property")).toList();
    }

    /** systemd prints a CPU set as ranges separated by blanks ({@code 0 2-3}), not the kernel's commas. */
    public static String asSystemdPrints(String cpus) {
        return cpus.isBlank() ? "" : io.github.libvirthooks.sysfs.cpu.CpuSet.parseList(cpus.strip()).toList().replace(',', ' ');
    }
}
