package io.github.libvirthooks.features.hostpower;

import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The {@code virsh} calls the host sleep and shutdown handlers make. Never used inside the QEMU
 * hook (libvirtd waits for the hook and would deadlock); only from the commands systemd runs.
 *
 * <p>Domains are named by UUID on the command line: a UUID cannot be mistaken for an option,
 * whatever the VM's name is.
 */
public final class Virsh {
    /** A query (list, domstate, dumpxml) answers at once unless libvirtd hangs. */
    public static final Duration QUERY_TIMEOUT = Duration.ofSeconds(15);
    /** The URI of the system's QEMU driver, which the hook serves. */
    public static final String SYSTEM_URI = "qemu:///system";
    private static final Pattern UUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final CommandRunner commands;
    private final String uri;

    public Virsh(CommandRunner commands, String uri) {
        this.commands = Objects.requireNonNull(commands, "commands");
        this.uri = Objects.requireNonNull(uri, "uri");
    }

    /** UUIDs of the active domains (running, paused or pmsuspended). */
    public List<String> activeUuids() {
        CommandResult r = run(List.of("list", "--uuid"), QUERY_TIMEOUT);
        List<String> uuids = new ArrayList<>();
        for (String line : r.stdout().split("\n")) {
            String s = line.strip();
            if (!s.isEmpty()) {
                uuids.add(checkUuid(s));
            }
        }
        return uuids;
    }

    /** The live domain XML. */
    public byte[] dumpxml(String uuid) {
        return run(List.of("dumpxml", "--domain", checkUuid(uuid)), QUERY_TIMEOUT).stdout().getBytes(StandardCharsets.UTF_8);
    }

    /** The domain's state; {@link DomainState#UNKNOWN} when virsh cannot tell (domain gone). */
    public DomainState state(String uuid) {
        CommandResult r = commands.run(argv(List.of("domstate", "--domain", checkUuid(uuid))), QUERY_TIMEOUT);
        return r.succeeded() ? DomainState.parse(r.stdout()) : DomainState.UNKNOWN;
    }

    /** Asks the guest agent to suspend to RAM ({@code mem}) or to disk ({@code disk}). */
    public void pmSuspend(String uuid, String target, Duration timeout) {
        if (!target.equals("mem") && !target.equals("disk")) {
            throw new IllegalArgumentException("dompmsuspend target must be mem or disk, not " + target);
        }
        run(List.of("dompmsuspend", "--domain", checkUuid(uuid), "--target", target), timeout);
    }

    /** Wakes a guest suspended to RAM. */
    public void pmWakeup(String uuid, Duration timeout) {
        run(List.of("dompmwakeup", "--domain", checkUuid(uuid)), timeout);
    }

    /** Pauses the vCPUs. */
    public void suspend(String uuid, Duration timeout) {
        run(List.of("suspend", "--domain", checkUuid(uuid)), timeout);
    }

    /** Resumes paused vCPUs. */
    public void resume(String uuid, Duration timeout) {
        run(List.of("resume", "--domain", checkUuid(uuid)), timeout);
    }

    /** Saves the guest's memory to libvirt's managed save image and stops it; the next start restores it. */
    public void managedSave(String uuid, Duration timeout) {
        run(List.of("managedsave", "--domain", checkUuid(uuid)), timeout);
    }

    /** Sends the ACPI power button; the guest decides what to do and when. */
    public void shutdownAcpi(String uuid, Duration timeout) {
        run(List.of("shutdown", "--domain", checkUuid(uuid), "--mode", "acpi"), timeout);
    }

    /** Starts a defined domain (restoring its managed save image if there is one). */
    public void start(String uuid, Duration timeout) {
        run(List.of("start", "--domain", checkUuid(uuid)), timeout);
    }

    private CommandResult run(List<String> args, Duration timeout) {
        return commands.run(argv(args), timeout).orThrow();
    }

    private List<String> argv(List<String> args) {
        List<String> argv = new ArrayList<>(List.of("virsh", "-q", "-c", uri));
        argv.addAll(args);
        return argv;
    }

    static String checkUuid(String uuid) {
        if (!UUID.matcher(uuid).matches()) {
            throw new IllegalArgumentException("'" + uuid + "' is not a domain UUID");
        }
        return uuid;
    }
}
