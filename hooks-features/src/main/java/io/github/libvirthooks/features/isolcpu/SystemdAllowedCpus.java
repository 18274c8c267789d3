package io.github.libvirthooks.features.isolcpu;

import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * systemd's {@code AllowedCPUs} of a unit, read with {@code systemctl show} and set for this
 * boot only with {@code systemctl set-property --runtime}, so that systemd itself writes the
 * unit's {@code cpuset.cpus} and keeps it across daemon reloads. An empty value means every
 * CPU; setting it empty ({@code AllowedCPUs=}) resets the property.
 */
final class SystemdAllowedCpus {
    /** systemctl talks to PID 1 over D-Bus; a hung manager must not hang the hook. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern UNIT = Pattern.compile("[A-Za-z0-9:_.\\\\-]{1,255}\\.(slice|scope|service)");
    private static final Pattern CPU_LIST = Pattern.compile("[0-9,\\-\\s]*");

    private final CommandRunner commands;

    SystemdAllowedCpus(CommandRunner commands) {
        this.commands = Objects.requireNonNull(commands, "commands");
    }

    /** The unit's AllowedCPUs as systemd prints it ({@code 0-3}), empty when unset. */
    String read(String unit) {
        String value = commands.query(List.of("systemctl", "show", "-p", "AllowedCPUs", "--value", checkUnit(unit)), TIMEOUT)
                .orThrow().stdout().strip();
        if (!CPU_LIST.matcher(value).matches()) {
            throw new FeatureException("systemctl show -p AllowedCPUs --value " + unit + " printed '" + value
                    + "', not a CPU list; is this systemd older than 244 (no AllowedCPUs)? use backend=cgroup");
        }
        return value;
    }

    /** Sets the unit's AllowedCPUs for this boot; empty resets it to every CPU. */
    void set(String unit, String cpus) {
        if (!CPU_LIST.matcher(cpus).matches()) {
            throw new IllegalArgumentException("'" + cpus + "' is not a CPU list");
        }
        commands.run(List.of("systemctl", "set-property", "--runtime", checkUnit(unit), "AllowedCPUs=" + cpus.strip()), TIMEOUT)
                .orThrow();
    }

    private static String checkUnit(String unit) {
        if (!UNIT.matcher(unit).matches() || unit.startsWith("-")) {
            throw new IllegalArgumentException("'" + unit + "' is not a slice, scope or service unit name");
        }
        return unit;
    }
}
