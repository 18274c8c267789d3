package io.github.libvirthooks.features.nosleep;

import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.cgroup.SystemdEscape;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A logind inhibitor held for a VM by a transient systemd service:
 * {@code systemd-inhibit --mode=block ... sleep infinity} started with {@code systemd-run}, so
 * that systemd supervises it (it outlives the hook process) and stopping the unit releases it.
 */
final class SleepInhibitor {
    static final String PREFIX = "libvirt-hooks-nosleep-";
    /** systemctl and systemd-run talk to PID 1; a hung manager must not hang the hook. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** systemd's unit name limit is 255 characters. */
    private static final int MAX_UNIT = 255;
    private static final Pattern UNIT = Pattern.compile(Pattern.quote(PREFIX) + "[A-Za-z0-9:_.\\\\-]{1,230}\\.service");

    private final CommandRunner commands;

    SleepInhibitor(CommandRunner commands) {
        this.commands = Objects.requireNonNull(commands, "commands");
    }

    /**
     * The unit of a VM: {@code libvirt-hooks-nosleep-<systemd-escaped name>.service}; a name too
     * long for systemd keeps its first part and gets a hash of the whole.
     */
    static String unitName(String vmName) {
        String escaped = SystemdEscape.escape(vmName);
        int room = MAX_UNIT - PREFIX.length() - ".service".length();
        if (escaped.length() > room) {
            String hash = "-" + hash(vmName);
            String head = escaped.substring(0, room - hash.length());
            // never cut a \xNN escape in half
            int cut = head.lastIndexOf('\\');
            if (cut >= 0 && cut > head.length() - 4) {
                head = head.substring(0, cut);
            }
            escaped = head + hash;
        }
        return PREFIX + escaped + ".service";
    }

    /** Starts the unit holding the inhibitor; an already active unit of the same name is kept. */
    void hold(String unit, String vmName, String what) {
        List<String> argv = List.of("systemd-run", "--quiet", "--collect", "--unit=" + checkUnit(unit),
                "--description=libvirt-hooks: VM " + vmName + " keeps the host awake",
                "--property=Type=exec",
                "--", "systemd-inhibit", "--what=" + what, "--mode=block", "--who=libvirt-hooks",
                "--why=VM " + vmName + " is running", "sleep", "infinity");
        CommandResult r = commands.run(argv, TIMEOUT);
        if (r.succeeded()) {
            return;
        }
        if (isActive(unit)) {
            // Left from a run whose release never came (libvirtd crash): it holds the same inhibitor.
            return;
        }
        if (r.stderr().contains("already")) {
            // A failed unit of the same name that --collect has not removed yet.
            commands.run(List.of("systemctl", "reset-failed", unit), TIMEOUT);
            r = commands.run(argv, TIMEOUT);
            if (r.succeeded()) {
                return;
            }
        }
        throw new FeatureException("nosleep: cannot start " + unit + " (" + firstLine(r) + "); check 'journalctl -u " + unit
                + "', or turn nosleep off for this VM to start it anyway");
    }

    /** Stops the unit, which releases the inhibitor; a unit that is gone already is fine. */
    void release(String unit) {
        CommandResult r = commands.run(List.of("systemctl", "stop", checkUnit(unit)), TIMEOUT);
        if (!r.succeeded() && !r.stderr().contains("not loaded")) {
            throw new FeatureException("nosleep: cannot stop " + unit + " (" + firstLine(r) + "); stop it with 'systemctl stop "
                    + unit + "'");
        }
    }

    boolean isActive(String unit) {
        return commands.query(List.of("systemctl", "is-active", "--quiet", checkUnit(unit)), TIMEOUT).succeeded();
    }

    private static String checkUnit(String unit) {
        if (!UNIT.matcher(unit).matches() || unit.length() > MAX_UNIT) {
            throw new IllegalArgumentException("'" + unit + "' is not a libvirt-hooks nosleep unit name");
        }
        return unit;
    }

    private static String firstLine(CommandResult r) {
        String text = r.stderr().isBlank() ? r.stdout() : r.stderr();
        String line = text.strip().lines().findFirst().orElse("");
        return r.argv().get(0) + " exited with status " + r.exitCode() + (line.isEmpty() ? "" : ": " + line);
    }

    private static String hash(String name) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8)), 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
