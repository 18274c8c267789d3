package io.github.libvirthooks.app.doctor;

import io.github.libvirthooks.app.install.InstallLayout;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.sysfs.libvirt.QemuDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The Linux security modules that decide what a hook may do: SELinux (Fedora, enforcing by
 * default: libvirt's hooks run in a confined domain unless {@code virt_hooks_unconfined} is on)
 * and AppArmor (Debian, Ubuntu: libvirt's profiles confine QEMU; the hook runs as the daemon
 * runs). Their state is read from selinuxfs and securityfs below the host root.
 */
final class SecurityChecks {
    static final String SELINUX_ENFORCE = "/sys/fs/selinux/enforce";
    static final String HOOKS_BOOLEAN = "/sys/fs/selinux/booleans/virt_hooks_unconfined";
    static final String APPARMOR_PROFILES = "/sys/kernel/security/apparmor/profiles";
    static final String RELABEL = "restorecon -R /usr/lib/libvirt-hooks /etc/libvirt/hooks";

    private final HostRoot host;
    private final InstallLayout layout;
    private final CommandRunner commands;
    private final Function<String, Optional<Path>> tools;

    /** @param tools finds a tool on the PATH */
    SecurityChecks(HostRoot host, InstallLayout layout, CommandRunner commands, Function<String, Optional<Path>> tools) {
        this.host = host;
        this.layout = layout;
        this.commands = commands;
        this.tools = tools;
    }

    /** SELinux's mode and the hooks boolean, then (where SELinux is on) the labels of what install wrote. */
    List<Check> selinux() {
        List<Check> checks = new ArrayList<>();
        Optional<String> enforce = read(SELINUX_ENFORCE);
        if (enforce.isEmpty()) {
            checks.add(Check.ok("selinux", "not enabled (no " + SELINUX_ENFORCE + ")"));
            return checks;
        }
        boolean enforcing = enforce.get().strip().equals("1");
        String mode = enforcing ? "enforcing" : "permissive";
        Optional<String> flag = read(HOOKS_BOOLEAN).map(String::strip);
        if (flag.isEmpty()) {
            checks.add(Check.warn("selinux", mode + "; the loaded policy has no virt_hooks_unconfined boolean, so hooks run in"
                    + " its confined hook domain and writes to /sys, systemctl or the JVM may be denied",
                    "after a VM start look for denials (ausearch -m avc -ts recent); a newer selinux-policy has the boolean"));
        } else {
            // selinuxfs shows a boolean as "current pending": pending differs only inside an uncommitted change.
            String[] values = flag.get().split("\\s+");
            boolean on = values[0].equals("1");
            String state = "virt_hooks_unconfined " + (on ? "on" : "off") + (values.length > 1 && !values[1].equals(values[0])
                    ? " (" + (values[1].equals("1") ? "on" : "off") + " once the pending change is committed)" : "");
            if (on) {
                checks.add(Check.ok("selinux", mode + ", " + state + ": hooks run unconfined"));
            } else {
                checks.add(Check.warn("selinux", mode + ", " + state + ": hooks run confined, "
                        + (enforcing ? "and writes to /sys, systemctl set-property and the JVM may be denied"
                                : "denials are only logged now and become failures once SELinux enforces"),
                        "setsebool -P virt_hooks_unconfined on"));
            }
        }
        checks.addAll(labels());
        return checks;
    }

    /**
     * The SELinux labels of the launcher and the program directory, and whether they are what
     * the policy wants there. The JDK reads no {@code security.*} extended attribute (its
     * attribute view is {@code user.*} only), so the labels come from {@code stat -c %C} and
     * the comparison from {@code restorecon -n}, the policy's own tool, with argument lists.
     */
    private List<Check> labels() {
        List<Check> checks = new ArrayList<>();
        List<Path> paths = new ArrayList<>();
        for (Path p : List.of(layout.launcher(), layout.libDir())) {
            if (Files.exists(p)) {
                paths.add(p);
            }
        }
        Optional<Path> stat = tools.apply("stat");
        if (paths.isEmpty() || stat.isEmpty()) {
            return checks;
        }
        List<String> shown = new ArrayList<>();
        for (Path p : paths) {
            CommandResult r = run(List.of(stat.get().toString(), "-c", "%C", "--", p.toString()));
            shown.add(p + " " + (r.succeeded() && !r.stdout().isBlank() ? r.stdout().strip() : "(no label)"));
        }
        String detail = String.join(", ", shown);
        Optional<Path> restorecon = tools.apply("restorecon");
        if (restorecon.isEmpty()) {
            checks.add(Check.warn("selinux labels", detail + "; restorecon is missing, so they cannot be compared with the policy",
                    "install policycoreutils, then run " + RELABEL));
            return checks;
        }
        List<String> argv = new ArrayList<>(List.of(restorecon.get().toString(), "-n", "-v", "-R", "--"));
        paths.forEach(p -> argv.add(p.toString()));
        CommandResult r = run(argv);
        long wrong = r.stdout().lines().filter(l -> l.contains("relabel")).count();
        if (!r.succeeded()) {
            checks.add(Check.warn("selinux labels", detail + "; restorecon -n failed: " + r.stderr().strip(), "run " + RELABEL));
        } else if (wrong > 0) {
            checks.add(Check.warn("selinux labels", detail + "; " + wrong + " file(s) not labelled as the policy says (first: "
                    + r.stdout().lines().filter(l -> l.contains("relabel")).findFirst().orElse("").strip() + ")", "run " + RELABEL));
        } else {
            checks.add(Check.ok("selinux labels", detail + ", as the policy says"));
        }
        return checks;
    }

    /**
     * AppArmor: no profile may be attached to the hook's own files (the launcher, the command,
     * the program directory), and the hook runs in whatever the QEMU driver's daemon runs in,
     * since libvirt starts it as a child. libvirt's profiles for QEMU ({@code libvirt-<uuid>})
     * confine the guests, not the hook.
     */
    Check apparmor() {
        Optional<String> profiles = read(APPARMOR_PROFILES);
        if (profiles.isEmpty()) {
            return Check.ok("apparmor", "not enabled (no " + APPARMOR_PROFILES + ")");
        }
        List<String> ours = new ArrayList<>();
        String lib = layout.libDir().toString();
        int count = 0;
        for (String line : profiles.get().lines().toList()) {
            if (line.isBlank()) {
                continue;
            }
            count++;
            // "NAME (MODE)"; a profile named for a path attaches to that path.
            String name = line.replaceFirst("\\s+\\([a-z]+\\)\\s*$", "");
            if (name.equals(layout.launcher().toString()) || name.equals(layout.command().toString()) || name.startsWith(lib + "/")
                    || name.equals(lib)) {
                ours.add(line.strip());
            }
        }
        if (!ours.isEmpty()) {
            return Check.warn("apparmor", "a profile confines the hook: " + String.join(", ", ours),
                    "remove it (aa-disable, or apparmor_parser -R with its file): the hook must write /sys, run systemctl and java");
        }
        String as = QemuDaemon.qemuDriver(host).filter(QemuDaemon::running)
                .map(d -> "; it runs as " + d.name() + " runs: " + confinement(d.pid().getAsLong()))
                .orElse("");
        return Check.ok("apparmor", count + " profiles loaded, none for the hook's files (libvirt's own profiles confine QEMU,"
                + " not the hook)" + as);
    }

    private String confinement(long pid) {
        Optional<String> label = read("/proc/" + pid + "/attr/apparmor/current").or(() -> read("/proc/" + pid + "/attr/current"))
                .map(String::strip);
        if (label.isEmpty() || label.get().equals("unconfined")) {
            return "unconfined";
        }
        return "profile " + label.get() + " (a hook step denied by it logs apparmor=\"DENIED\" in journalctl -k)";
    }

    private Optional<String> read(String path) {
        try {
            return host.readIfExists(path);
        } catch (HostAccessException e) {
            return Optional.empty();
        }
    }

    private CommandResult run(List<String> argv) {
        try {
            return commands.run(argv, Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            return new CommandResult(argv, -1, "", e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }
}
