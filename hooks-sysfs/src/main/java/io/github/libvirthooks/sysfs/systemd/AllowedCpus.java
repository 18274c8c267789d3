package io.github.libvirthooks.sysfs.systemd;

import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import io.github.libvirthooks.sysfs.exec.CommandException;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * systemd's {@code AllowedCPUs} of a unit, read with {@code systemctl show} and set for this
 * boot only with {@code systemctl set-property --runtime}, so that systemd itself writes the
 * unit's {@code cpuset.cpus} and keeps it across daemon reloads (a direct write would be
 * overwritten at the next reload). An empty set means every CPU; setting it empty
 * ({@code AllowedCPUs=}) resets the property.
 *
 * <p>It lives here, beside the kernel files, because it is the systemd face of one: the only
 * writer of a unit's {@code cpuset.cpus} on a host whose cgroups systemd manages.
 */
public final class AllowedCpus {
    /** systemctl talks to PID 1 over D-Bus; a hung manager must not hang the caller. */
    public static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** Exists when systemd runs as PID 1 (sd_booted(3)). */
    static final String RUNTIME_DIRECTORY = "/run/systemd/system";
    private static final Pattern UNIT = Pattern.compile("[A-Za-z0-9:_.\\\\-]{1,255}\\.(slice|scope|service)");
    private static final Pattern CPU_LIST = Pattern.compile("[0-9,\\-\\s]*");

    private final CommandRunner commands;

    /** AllowedCPUs through {@code commands}. */
    public AllowedCpus(CommandRunner commands) {
        this.commands = Objects.requireNonNull(commands, "commands");
    }

    /** True when systemd runs as PID 1 on {@code host}: only then is there a manager to ask. */
    public static boolean booted(HostRoot host) {
        return host.isDirectory(RUNTIME_DIRECTORY);
    }

    /**
     * The unit's AllowedCPUs; empty when unset (every CPU).
     *
     * @throws CommandException when systemctl fails or prints something else than a CPU list
     */
    public CpuSet read(String unit) {
        List<String> argv = List.of("systemctl", "show", "-p", "AllowedCPUs", "--value", checkUnit(unit));
        String value = commands.query(argv, TIMEOUT).orThrow().stdout().strip();
        try {
            if (CPU_LIST.matcher(value).matches()) {
                // systemd prints a CPU set as ranges separated by blanks ("0 2-3"), the kernel with commas.
                return CpuSet.parseList(value.isEmpty() ? "" : String.join(",", value.split("[\\s,]+")));
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new CommandException(argv, String.join(" ", argv) + " printed '" + value
                + "', not a CPU list; is this systemd older than 244 (no AllowedCPUs)? use backend=cgroup");
    }

    /** Sets the unit's AllowedCPUs for this boot; empty resets it to every CPU. */
    public void set(String unit, CpuSet cpus) {
        Objects.requireNonNull(cpus, "cpus");
        commands.run(List.of("systemctl", "set-property", "--runtime", checkUnit(unit), "AllowedCPUs=" + cpus.toList()), TIMEOUT)
                .orThrow();
    }

    private static String checkUnit(String unit) {
        if (!UNIT.matcher(unit).matches() || unit.startsWith("-")) {
            throw new IllegalArgumentException("'" + unit + "' is not a slice, scope or service unit name");
        }
        return unit;
    }
}
