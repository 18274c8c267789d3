package io.github.libvirthooks.features.nosleep;

import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plays {@code systemd-run} and {@code systemctl stop|is-active|reset-failed} like systemd:
 * transient units by name, each holding the inhibitor its command line asks logind for, and
 * what {@code systemd-inhibit --list} would show. Records every argv.
 */
final class FakeSystemd implements CommandRunner {
    final List<List<String>> ran = new ArrayList<>();
    /** Active units and the argv after {@code --} that runs in them. */
    final Map<String, List<String>> units = new LinkedHashMap<>();
    /** Units present but failed (not yet collected). */
    final List<String> failed = new ArrayList<>();
    boolean refuseStart;

    @Override
    public CommandResult run(List<String> argv, Duration timeout) {
        ran.add(argv);
        if (argv.get(0).equals("systemd-run")) {
            String unit = argv.stream().filter(a -> a.startsWith("--unit=")).findFirst().orElseThrow().substring(7);
            if (units.containsKey(unit) || failed.contains(unit)) {
                return new CommandResult(argv, 1, "", "Failed to start transient service unit: Unit " + unit
                        + " was already loaded or has a fragment file.\n");
            }
            if (refuseStart) {
                return new CommandResult(argv, 1, "", "Failed to start transient service unit: Access denied\n");
            }
            units.put(unit, argv.subList(argv.indexOf("--") + 1, argv.size()));
            return new CommandResult(argv, 0, "", "");
        }
        if (argv.get(0).equals("systemctl")) {
            String unit = argv.get(argv.size() - 1);
            switch (argv.get(1)) {
                case "stop":
                    if (units.remove(unit) == null && !failed.remove(unit)) {
                        return new CommandResult(argv, 5, "", "Failed to stop " + unit + ": Unit " + unit + " not loaded.\n");
                    }
                    return new CommandResult(argv, 0, "", "");
                case "is-active":
                    return new CommandResult(argv, units.containsKey(unit) ? 0 : 3, "", "");
                case "reset-failed":
                    failed.remove(unit);
                    return new CommandResult(argv, 0, "", "");
                default:
                    break;
            }
        }
        return new CommandResult(argv, 127, "", argv.get(0) + ": unexpected " + argv + "\n");
    }

    /** What {@code systemd-inhibit --list} shows: who, why and what of each held inhibitor. */
    List<String> inhibitors() {
        List<String> out = new ArrayList<>();
        for (List<String> cmd : units.values()) {
            if (cmd.get(0).equals("systemd-inhibit")) {
                out.add(value(cmd, "--who=") + " | " + value(cmd, "--why=") + " | " + value(cmd, "--what=") + " | " + value(cmd, "--mode="));
            }
        }
        return out;
    }

    private static String value(List<String> cmd, String prefix) {
        return cmd.stream().filter(a -> a.startsWith(prefix)).findFirst().map(a -> a.substring(prefix.length())).orElse("?");
    }
}
