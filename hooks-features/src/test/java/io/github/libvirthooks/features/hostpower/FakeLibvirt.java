package io.github.libvirthooks.features.hostpower;

import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.testkit.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Plays {@code virsh -q -c qemu:///system ...} and {@code systemctl is-system-running} like
 * libvirt and systemd answer them, with a state machine per domain on a {@link FakeClock}: the
 * guest agent's suspend-to-RAM makes a domain pmsuspended, hibernation and ACPI shutdown make it
 * shut off, each after a delay (or never). Records every argv.
 */
final class FakeLibvirt implements CommandRunner {
    static final List<String> VIRSH = List.of("virsh", "-q", "-c", "qemu:///system");
    /** Verbs that change a domain. */
    static final Set<String> CHANGES = Set.of("dompmsuspend", "dompmwakeup", "suspend", "resume", "managedsave", "shutdown", "start");

    final FakeClock time;
    final Map<String, Dom> domains = new LinkedHashMap<>();
    final List<List<String>> ran = new ArrayList<>();
    final Map<List<String>, Duration> timeouts = new LinkedHashMap<>();
    /** Verb + uuid pairs that fail ("resume " + uuid). */
    final Set<String> failing = new HashSet<>();
    Consumer<List<String>> beforeEach = argv -> { };
    String systemState = "running";

    FakeLibvirt(FakeClock time) {
        this.time = time;
    }

    /** One domain: what its XML says and how its guest behaves. */
    final class Dom {
        final String uuid;
        final String name;
        String hooks = "";
        String pm = "";
        boolean agent;
        boolean hostdev;
        DomainState state = DomainState.RUNNING;
        /** How long the guest takes to suspend to RAM after the agent's request; null: never. */
        Duration s3Delay = Duration.ofSeconds(2);
        /** How long the guest takes to hibernate and shut off; null: never. */
        Duration s4Delay = Duration.ofSeconds(30);
        /** How long an ACPI shutdown takes; null: the guest ignores it. */
        Duration acpiDelay = Duration.ofSeconds(10);
        /** How long managedsave takes. */
        Duration saveTime = Duration.ofSeconds(5);
        boolean managedSaveImage;
        DomainState pending;
        Instant pendingAt;

        Dom(String uuid, String name) {
            this.uuid = uuid;
            this.name = name;
        }

        Dom hooks(String xml) {
            this.hooks = xml;
            return this;
        }

        Dom agent() {
            this.agent = true;
            return this;
        }

        Dom pm(String s3, String s4) {
            this.pm = "<pm>" + (s3 == null ? "" : "<suspend-to-mem enabled='" + s3 + "'/>")
                    + (s4 == null ? "" : "<suspend-to-disk enabled='" + s4 + "'/>") + "</pm>";
            return this;
        }

        Dom hostdev() {
            this.hostdev = true;
            return this;
        }

        Dom state(DomainState s) {
            this.state = s;
            return this;
        }

        DomainState now() {
            if (pending != null && !time.instant().isBefore(pendingAt)) {
                state = pending;
                pending = null;
            }
            return state;
        }

        void later(DomainState s, Duration delay) {
            if (delay != null) {
                pending = s;
                pendingAt = time.instant().plus(delay);
            }
        }

        String xml() {
            return "<domain type='kvm'><name>" + name + "</name><uuid>" + uuid + "</uuid><memory unit='MiB'>1024</memory>"
                    + "<metadata><hooks xmlns='urn:libvirt-hooks:1'>" + hooks + "</hooks></metadata>" + pm
                    + "<devices>" + (agent ? "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>" : "")
                    + (hostdev ? "<hostdev mode='subsystem' type='pci' managed='yes'/>" : "") + "</devices></domain>";
        }
    }

    Dom domain(int n, String name) {
        String uuid = String.format("%08d-0000-4000-8000-%012d", n, n);
        Dom d = new Dom(uuid, name);
        domains.put(uuid, d);
        return d;
    }

    @Override
    public CommandResult run(List<String> argv, Duration timeout) {
        ran.add(argv);
        timeouts.put(argv, timeout);
        beforeEach.accept(argv);
        if (argv.equals(List.of("systemctl", "is-system-running"))) {
            return ok(argv, systemState + "\n");
        }
        if (argv.size() < 5 || !argv.subList(0, 4).equals(VIRSH)) {
            return new CommandResult(argv, 127, "", argv.get(0) + ": unexpected command " + argv + "\n");
        }
        String verb = argv.get(4);
        if (verb.equals("list")) {
            if (!argv.equals(virsh("list", "--uuid"))) {
                return err(argv, "unexpected list options");
            }
            StringBuilder out = new StringBuilder();
            domains.values().stream().filter(d -> d.now() != DomainState.SHUT_OFF).forEach(d -> out.append(d.uuid).append('\n'));
            return ok(argv, out + "\n");
        }
        if (argv.size() < 7 || !argv.get(5).equals("--domain")) {
            return err(argv, "expected --domain UUID");
        }
        Dom d = domains.get(argv.get(6));
        if (d == null) {
            return err(argv, "failed to get domain '" + argv.get(6) + "'");
        }
        if (failing.contains(verb + " " + d.uuid)) {
            return err(argv, "injected failure of " + verb);
        }
        DomainState s = d.now();
        switch (verb) {
            case "dumpxml":
                return ok(argv, d.xml());
            case "domstate":
                return ok(argv, s.word() + "\n\n");
            case "dompmsuspend": {
                String target = argv.get(8);
                if (!argv.get(7).equals("--target") || !(target.equals("mem") || target.equals("disk"))) {
                    return err(argv, "bad target");
                }
                if (!d.agent) {
                    return err(argv, "argument unsupported: QEMU guest agent is not configured");
                }
                if (s != DomainState.RUNNING) {
                    return err(argv, "Requested operation is not valid: domain is not running");
                }
                d.later(target.equals("mem") ? DomainState.PMSUSPENDED : DomainState.SHUT_OFF, target.equals("mem") ? d.s3Delay : d.s4Delay);
                return ok(argv, "");
            }
            case "dompmwakeup":
                if (s != DomainState.PMSUSPENDED) {
                    return err(argv, "Requested operation is not valid: Domain is not in pmsuspended state");
                }
                d.state = DomainState.RUNNING;
                return ok(argv, "");
            case "suspend":
                if (s != DomainState.RUNNING) {
                    return err(argv, "Requested operation is not valid: domain is not running");
                }
                d.state = DomainState.PAUSED;
                d.pending = null;
                return ok(argv, "");
            case "resume":
                if (s != DomainState.PAUSED) {
                    return err(argv, "Requested operation is not valid: domain is not paused");
                }
                d.state = DomainState.RUNNING;
                return ok(argv, "");
            case "managedsave":
                if (d.hostdev) {
                    return err(argv, "Requested operation is not valid: domain has assigned non-USB host devices");
                }
                time.advance(d.saveTime);
                d.state = DomainState.SHUT_OFF;
                d.pending = null;
                d.managedSaveImage = true;
                return ok(argv, "");
            case "shutdown":
                if (!argv.subList(7, argv.size()).equals(List.of("--mode", "acpi"))) {
                    return err(argv, "expected --mode acpi");
                }
                d.later(DomainState.SHUT_OFF, d.acpiDelay);
                return ok(argv, "");
            case "start":
                if (s != DomainState.SHUT_OFF) {
                    return err(argv, "Requested operation is not valid: domain is already running");
                }
                d.state = DomainState.RUNNING;
                d.managedSaveImage = false;
                return ok(argv, "");
            default:
                return err(argv, "unknown command '" + verb + "'");
        }
    }

    static List<String> virsh(String... args) {
        List<String> argv = new ArrayList<>(VIRSH);
        argv.addAll(List.of(args));
        return argv;
    }

    /** The commands that changed a domain, as "verb name" (the target too for dompmsuspend). */
    List<String> changes() {
        List<String> out = new ArrayList<>();
        for (List<String> argv : ran) {
            if (argv.size() > 6 && argv.subList(0, 4).equals(VIRSH) && CHANGES.contains(argv.get(4))) {
                Dom d = domains.get(argv.get(6));
                out.add(argv.get(4) + " " + (d == null ? argv.get(6) : d.name) + (argv.get(4).equals("dompmsuspend") ? " " + argv.get(8) : ""));
            }
        }
        return out;
    }

    private static CommandResult ok(List<String> argv, String out) {
        return new CommandResult(argv, 0, out, "");
    }

    private static CommandResult err(List<String> argv, String message) {
        return new CommandResult(argv, 1, "", "error: " + message + "\n");
    }
}
