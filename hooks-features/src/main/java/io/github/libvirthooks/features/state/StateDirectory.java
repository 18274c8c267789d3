package io.github.libvirthooks.features.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The state directory ({@code /run/libvirt-hooks} in production): one journal per VM and one
 * lock file. Journals are written atomically (temporary file, fsync, rename, fsync of the
 * directory) and readable only by root, because they name VMs.
 */
public final class StateDirectory {
    private static final String SUFFIX = ".journal";

    private final Path dir;

    public StateDirectory(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    public Path path() {
        return dir;
    }

    /**
     * Takes the exclusive lock that serialises every hook run on this host, waiting at most
     * {@code timeout}; libvirtd may run hooks for several VMs at once.
     */
    public HostLock lock(Duration timeout) {
        return lock(timeout, "pid " + ownPid());
    }

    /**
     * {@link #lock(Duration)}, recording who holds it ({@code holder}, one line: the pid and the
     * event) in the lock file, so that a run waiting for it can say what it waits for.
     */
    public HostLock lock(Duration timeout, String holder) {
        ensureDirectory();
        Path lockFile = dir.resolve("lock");
        long deadline = System.nanoTime() + timeout.toNanos();
        FileChannel channel = null;
        try {
            requireOwnRegularFile(lockFile);
            // Never through a link: a planted one would make every hook create or truncate its target.
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            String heldBy = null;
            while (true) {
                FileLock lock;
                try {
                    lock = channel.tryLock();
                } catch (java.nio.channels.OverlappingFileLockException e) {
                    // Another thread of this JVM holds it: as held as by another process.
                    lock = null;
                }
                if (lock != null) {
                    channel.truncate(0);
                    channel.write(java.nio.ByteBuffer.wrap((holder.replace('\n', ' ') + "\n").getBytes(StandardCharsets.UTF_8)), 0);
                    HostLock held = new HostLock(channel, lock, Duration.ofNanos(System.nanoTime() - (deadline - timeout.toNanos())),
                            heldBy == null ? "" : heldBy);
                    channel = null;
                    return held;
                }
                if (heldBy == null) {
                    heldBy = holderOf(lockFile);
                }
                if (System.nanoTime() > deadline) {
                    throw new JournalException("another libvirt-hooks run has held " + lockFile + " for more than " + describe(timeout)
                            + " (" + holderOf(lockFile) + "); if no hook is running, check 'ps' for a stuck libvirt-hooks process");
                }
                Thread.sleep(20);
            }
        } catch (IOException e) {
            throw new JournalException("cannot lock " + lockFile + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JournalException("interrupted while waiting for " + lockFile, e);
        } finally {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException e) {
                    // Nothing was locked through it.
                }
            }
        }
    }

    /**
     * The lock file, if it is there, must be a plain file of the state directory's owner: opening
     * a FIFO for writing would hang every hook (and libvirtd with it), a link would be followed.
     */
    private void requireOwnRegularFile(Path lockFile) throws IOException {
        java.nio.file.attribute.PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(lockFile, java.nio.file.attribute.PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return;
        }
        String kind = attributes.isSymbolicLink() ? "a symbolic link" : attributes.isDirectory() ? "a directory"
                : attributes.isOther() ? "not a regular file (a FIFO, socket or device)" : null;
        if (kind != null) {
            throw new JournalException("refusing the lock file " + lockFile + ": it is " + kind + ", not the plain file libvirt-hooks"
                    + " makes; remove it (rm " + lockFile + ") while no VM starts or stops");
        }
        java.nio.file.attribute.UserPrincipal owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS);
        if (!attributes.owner().equals(owner)) {
            throw new JournalException("refusing the lock file " + lockFile + ": owned by " + attributes.owner().getName()
                    + ", not by " + owner.getName() + " who owns " + dir + "; remove it while no VM starts or stops");
        }
    }

    /**
     * This process's pid, for the lock file. Read from {@code /proc/self}: {@code ProcessHandle}
     * starts a reaper thread pool on first use, a cost every hook event would pay.
     */
    public static String ownPid() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "?";
        }
    }

    /** Who holds the lock, as its holder wrote it: for messages only. */
    private static String holderOf(Path lockFile) {
        try {
            byte[] bytes = new byte[200];
            int n;
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                n = ch.read(java.nio.ByteBuffer.wrap(bytes));
            }
            String text = n <= 0 ? "" : new String(bytes, 0, n, StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
            return text.isEmpty() ? "holder unknown" : DamagedJournal.printable(text);
        } catch (IOException e) {
            return "holder unknown";
        }
    }

    private static String describe(Duration timeout) {
        return timeout.toMillis() < 1000 ? timeout.toMillis() + " ms" : timeout.toSeconds() + " s";
    }

    /** The journal of a VM, or an empty one. */
    public VmJournal load(String vmName, String uuid) {
        Path file = fileFor(vmName);
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            VmJournal journal = JournalFormat.read(text, file.toString());
            if (!journal.vmName().equals(vmName)) {
                throw new JournalException(file + " belongs to VM '" + journal.vmName() + "', not '" + vmName + "'");
            }
            return journal;
        } catch (NoSuchFileException e) {
            return VmJournal.empty(vmName, uuid);
        } catch (IOException e) {
            throw new JournalException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Every journal in the directory; those that cannot be read are reported through
     * {@code damaged}, with the file and what is wrong, and left out of the answer.
     */
    public List<VmJournal> loadAll(List<DamagedJournal> damaged) {
        List<VmJournal> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        // Filtered by name here rather than by the glob "*.journal", which compiles a regex at every hook event.
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            List<Path> sorted = new ArrayList<>();
            for (Path file : files) {
                if (file.getFileName().toString().endsWith(SUFFIX)) {
                    sorted.add(file);
                }
            }
            sorted.sort(null);
            for (Path file : sorted) {
                readInto(file, out, damaged);
            }
        } catch (IOException e) {
            throw new JournalException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** The journals of every VM but {@code vmName}, readable or not, for counting shared claims. */
    public OtherJournals othersThan(String vmName) {
        List<DamagedJournal> damaged = new ArrayList<>();
        List<VmJournal> readable = new ArrayList<>();
        for (VmJournal journal : loadAll(damaged)) {
            if (!journal.vmName().equals(vmName)) {
                readable.add(journal);
            }
        }
        Path own = fileFor(vmName);
        List<DamagedJournal> others = new ArrayList<>();
        for (DamagedJournal journal : damaged) {
            if (!journal.file().equals(own)) {
                others.add(journal);
            }
        }
        return new OtherJournals(List.copyOf(readable), List.copyOf(others));
    }

    /** Adds the journal in {@code file} to {@code out} when it reads whole and is filed under its VM's name, else says why. */
    private void readInto(Path file, List<VmJournal> out, List<DamagedJournal> damaged) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            damaged.add(new DamagedJournal(file, "not UTF-8 text", Optional.empty()));
            return;
        } catch (java.nio.file.AccessDeniedException e) {
            damaged.add(new DamagedJournal(file, "cannot read it: permission denied", Optional.empty()));
            return;
        } catch (IOException e) {
            damaged.add(new DamagedJournal(file, "cannot read it: " + (e.getMessage() == null || e.getMessage().equals(file.toString())
                    ? e.getClass().getSimpleName() : e.getMessage()), Optional.empty()));
            return;
        }
        VmJournal journal;
        try {
            journal = JournalFormat.read(text, file.toString());
        } catch (JournalException e) {
            // A forged or renamed header must not send the user to restore another VM.
            Optional<String> vm = JournalFormat.vmName(text).filter(name -> fileFor(name).equals(file));
            damaged.add(new DamagedJournal(file, withoutSource(String.valueOf(e.getMessage()), file.toString()), vm));
            return;
        }
        if (!fileFor(journal.vmName()).equals(file)) {
            // load() refuses it too: whose changes these are cannot be trusted.
            damaged.add(new DamagedJournal(file, "its header names VM '" + journal.vmName() + "', whose journal is "
                    + fileFor(journal.vmName()).getFileName() + ", not this file", Optional.empty()));
            return;
        }
        out.add(journal);
    }

    /** The format's messages start with the file and often a line number: keep only what is wrong. */
    private static String withoutSource(String message, String source) {
        if (!message.startsWith(source + ":")) {
            return message;
        }
        String rest = message.substring(source.length() + 1);
        java.util.regex.Matcher line = java.util.regex.Pattern.compile("([0-9]+): (.*)", java.util.regex.Pattern.DOTALL).matcher(rest);
        return line.matches() ? "line " + line.group(1) + ": " + line.group(2) : rest.strip();
    }

    /** Writes the journal atomically, or deletes it when it is empty. */
    public void save(VmJournal journal) {
        ensureDirectory();
        Path file = fileFor(journal.vmName());
        try {
            if (journal.isEmpty()) {
                Files.deleteIfExists(file);
                syncDirectory();
                return;
            }
            Path tmp = dir.resolve(file.getFileName() + ".tmp");
            byte[] bytes = JournalFormat.write(journal).getBytes(StandardCharsets.UTF_8);
            Files.deleteIfExists(tmp);
            try (FileChannel ch = FileChannel.open(tmp, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            restrict(tmp);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new JournalException("state directory " + dir + " does not support atomic rename", e);
            }
            syncDirectory();
        } catch (IOException e) {
            throw new JournalException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The journal file of a VM: a readable prefix of the name plus 128 bits of its SHA-256, so
     * that no two names share a file in practice (the header's VM name is checked on every read
     * all the same). A journal that release 0.1.0 wrote under its 64-bit name is kept there until
     * it is emptied, so that the VM's other per-VM names (its script folder) stay the same from
     * its prepare to its release across an upgrade.
     */
    public Path fileFor(String vmName) {
        Path current = dir.resolve(baseName(vmName, 16) + SUFFIX);
        Path legacy = dir.resolve(baseName(vmName, 8) + SUFFIX);
        return !Files.exists(current, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                && Files.exists(legacy, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? legacy : current;
    }

    private static String baseName(String vmName, int hashBytes) {
        StringBuilder safe = new StringBuilder();
        for (int i = 0; i < vmName.length() && safe.length() < 48; i++) {
            char c = vmName.charAt(i);
            safe.append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    ? c : '_');
        }
        return "vm-" + safe + "-" + hash(vmName, hashBytes);
    }

    /** Optional last-modified of a VM's journal, for status output. */
    public Optional<Instant> modified(String vmName) {
        try {
            return Optional.of(Files.getLastModifiedTime(fileFor(vmName)).toInstant());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private void ensureDirectory() {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
            }
            // It names VMs: owner only, also when it existed already with a wider mode.
            restrict(dir);
        } catch (IOException e) {
            throw new JournalException("cannot create the state directory " + dir + ": " + e.getMessage(), e);
        }
    }

    private void syncDirectory() throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static void restrict(Path path) {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(Files.isDirectory(path) ? "rwx------" : "rw-------"));
        } catch (IOException | UnsupportedOperationException e) {
            // A file system without POSIX permissions (tests on odd mounts) keeps its defaults.
        }
    }

    private static String hash(String name, int bytes) {
        return HexFormat.of().formatHex(Sha256.digest(name.getBytes(StandardCharsets.UTF_8)), 0, bytes);
    }

    /** The held host lock; closing it releases it. */
    public static final class HostLock implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;
        private final Duration waited;
        private final String waitedFor;

        private HostLock(FileChannel channel, FileLock lock, Duration waited, String waitedFor) {
            this.channel = channel;
            this.lock = lock;
            this.waited = waited;
            this.waitedFor = waitedFor;
        }

        /** How long taking the lock waited for another run. */
        public Duration waited() {
            return waited;
        }

        /** The run it waited for, as that run described itself; empty when the lock was free. */
        public String waitedFor() {
            return waitedFor;
        }

        @Override
        public void close() {
            try {
                lock.release();
                channel.close();
            } catch (IOException e) {
                // Closing the channel releases the lock in any case.
            }
        }
    }
}
