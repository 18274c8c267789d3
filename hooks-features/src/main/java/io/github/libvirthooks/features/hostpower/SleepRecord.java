package io.github.libvirthooks.features.hostpower;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code host-sleep pre} did to each VM, so that {@code host-sleep post} undoes exactly
 * that. Kept in the state directory ({@code host-sleep.record}); each entry is written before
 * virsh is asked, so a crash between the two leaves an entry that {@code post} checks against
 * the domain's real state. One line per VM: {@code ACTION UUID RESTART NAME} with the name
 * URL-encoded.
 */
public final class SleepRecord {
    static final String FILE = "host-sleep.record";
    private static final String HEADER = "# libvirt-hooks host sleep record v1: action uuid restart-after-resume name";

    /** What was done to a VM. */
    public enum Action {
        /** Guest agent suspend-to-RAM asked: woken with {@code dompmwakeup}. */
        PMSUSPEND,
        /** vCPUs paused: resumed. */
        PAUSE,
        /** Guest agent hibernation asked: started again if {@code restart-after-resume}. */
        HIBERNATE,
        /** libvirt managed save: started again (restored) if {@code restart-after-resume}. */
        MANAGEDSAVE,
        /** ACPI shutdown: started again if {@code restart-after-resume}. */
        SHUTDOWN;

        /** True for the actions after which the VM is shut off. */
        public boolean stopsTheVm() {
            return this == HIBERNATE || this == MANAGEDSAVE || this == SHUTDOWN;
        }
    }

    /**
     * One VM's entry.
     *
     * @param action             what was done (or is being done)
     * @param uuid               the domain
     * @param restartAfterResume start it after resume (for actions that stop it)
     * @param name               the VM's name, for messages
     */
    public record Entry(Action action, String uuid, boolean restartAfterResume, String name) {
        public Entry {
            Virsh.checkUuid(uuid);
        }
    }

    private final Path file;

    /** The record in {@code stateDir}. */
    public SleepRecord(Path stateDir) {
        this.file = stateDir.resolve(FILE);
    }

    public Path path() {
        return file;
    }

    /** The entries by UUID, in the order they were written; empty when there is no record. */
    public Map<String, Entry> read() {
        Map<String, Entry> entries = new LinkedHashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return entries;
        } catch (IOException e) {
            throw new HostPowerException("cannot read " + file + ": " + e.getMessage() + "; resume the VMs by hand (virsh resume"
                    + " / virsh dompmwakeup) and delete it", e);
        }
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(" ", 4);
            try {
                Entry entry = new Entry(Action.valueOf(f[0].toUpperCase(Locale.ROOT)), f[1], f[2].equals("1"),
                        URLDecoder.decode(f[3], StandardCharsets.UTF_8));
                entries.put(entry.uuid(), entry);
            } catch (RuntimeException e) {
                throw new HostPowerException(file + " has a damaged line '" + line + "'; resume the VMs by hand and delete it", e);
            }
        }
        return entries;
    }

    /** Replaces the record atomically; deletes it when there is nothing left. */
    public void write(Map<String, Entry> entries) {
        try {
            Files.createDirectories(file.getParent());
            if (entries.isEmpty()) {
                Files.deleteIfExists(file);
                return;
            }
            List<String> lines = new ArrayList<>();
            lines.add(HEADER);
            for (Entry e : entries.values()) {
                lines.add(e.action().name().toLowerCase(Locale.ROOT) + " " + e.uuid() + " " + (e.restartAfterResume() ? "1" : "0")
                        + " " + URLEncoder.encode(e.name(), StandardCharsets.UTF_8));
            }
            Path tmp = file.resolveSibling(FILE + ".tmp");
            byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                // root only, like the journals: it names VMs
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // a file system without POSIX permissions keeps its defaults
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new HostPowerException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
