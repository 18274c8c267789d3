package io.github.libvirthooks.sysfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The single choke point for host file access: every read and write of {@code /sys} and
 * {@code /proc} goes through here.
 *
 * <p>Paths are given as absolute host paths ({@code /sys/fs/cgroup/system.slice/cpuset.cpus})
 * and resolved below a root directory: {@code /} in production, a temporary directory in
 * tests. A path that leaves the root, by {@code ..} or by a symbolic link, is refused.
 * A write reads the old value first, tells the {@link HostWriteListener}, writes the new
 * value in one {@code write(2)} (the kernel parses each write on its own) and returns the
 * {@link Change} that undoes it. Every failure is a {@link HostAccessException} naming the
 * path, the value and the reason.
 */
public final class HostRoot {
    /** Files under /sys and /proc are small; anything longer is garbage or an attack. */
    static final int MAX_READ_BYTES = 1 << 20;

    private final Path root;
    private final Path realRoot;
    private final HostWriteListener listener;
    /** Null for a host whose writes reach the files; else where a dry run keeps them. */
    private final DryWrites dry;

    private HostRoot(Path root, HostWriteListener listener, DryWrites dry) {
        this.root = root.toAbsolutePath().normalize();
        try {
            this.realRoot = this.root.toRealPath();
        } catch (IOException e) {
            throw new HostAccessException(root.toString(), "host root " + root + " is not usable: " + reason(e), e);
        }
        this.listener = Objects.requireNonNull(listener, "listener");
        this.dry = dry;
    }

    /** The real host: root {@code /}. */
    public static HostRoot system() {
        return new HostRoot(Path.of("/"), HostWriteListener.NONE, null);
    }

    /** A host tree below {@code root} (a fake tree in tests, a chroot, a container's root). */
    public static HostRoot at(Path root) {
        return new HostRoot(root, HostWriteListener.NONE, null);
    }

    /**
     * The same root, with every write also reported to {@code listener}. Listeners stack:
     * the new one sees a write before the ones already attached (so a journal records the
     * intent even when an inner listener refuses the write) and after them once it is done.
     */
    public HostRoot withListener(HostWriteListener listener) {
        HostWriteListener inner = this.listener;
        if (inner == HostWriteListener.NONE) {
            return new HostRoot(root, listener, dry);
        }
        return new HostRoot(root, new HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) throws java.io.IOException {
                listener.beforeWrite(intended);
                inner.beforeWrite(intended);
            }

            @Override
            public void beforeTrigger(String path, String value) throws java.io.IOException {
                listener.beforeTrigger(path, value);
                inner.beforeTrigger(path, value);
            }

            @Override
            public void beforeCreate(String path) throws java.io.IOException {
                listener.beforeCreate(path);
                inner.beforeCreate(path);
            }

            @Override
            public void beforeRemove(String path) throws java.io.IOException {
                listener.beforeRemove(path);
                inner.beforeRemove(path);
            }

            @Override
            public void beforeOwnership(Change intended) throws java.io.IOException {
                listener.beforeOwnership(intended);
                inner.beforeOwnership(intended);
            }

            @Override
            public void afterWrite(Change done) {
                inner.afterWrite(done);
                listener.afterWrite(done);
            }

            @Override
            public void afterChange(String path) {
                inner.afterChange(path);
                listener.afterChange(path);
            }
        }, dry);
    }

    /**
     * The same root for a dry run: reads see the host as it is plus what this dry run wrote,
     * writes, triggers, file creations and removals reach the listeners exactly as they would
     * but never the files. {@code plan} runs the hook's own code on it. Directory listings
     * show the real directory only. The listeners of this host are not carried over: they
     * belong to its real writes (a simulated kernel in tests reacts to writes in its listener);
     * attach the dry run's own with {@link #withListener}.
     */
    public HostRoot dryRun() {
        return new HostRoot(root, HostWriteListener.NONE, new DryWrites());
    }

    /** The directory that stands for {@code /}. */
    public Path root() {
        return root;
    }

    /**
     * Resolves an absolute host path below the root, refusing any path that would leave it
     * through {@code ..} or a symbolic link.
     */
    public Path resolve(String hostPath) {
        Path local = lexical(hostPath);
        if (realRoot.getNameCount() == 0) {
            // Below "/" nothing can escape: skip the realpath walk on the hook's hot path.
            return local;
        }
        Path real = realPathOfDeepestExisting(hostPath, local);
        if (!real.startsWith(realRoot)) {
            throw new HostAccessException(hostPath, hostPath + ": refused, resolves outside the host root " + root);
        }
        return local;
    }

    /** True if the file or directory exists (for kernel files: the kernel supports it). */
    public boolean exists(String hostPath) {
        Path file = resolve(hostPath);
        if (dry != null && dry.knows(file)) {
            return dry.exists(file);
        }
        return Files.exists(file);
    }

    /** True if {@code hostPath} is a directory. */
    public boolean isDirectory(String hostPath) {
        Path file = resolve(hostPath);
        if (dry != null && dry.knows(file)) {
            return dry.isDirectory(file);
        }
        return Files.isDirectory(file);
    }

    /** Reads a whole file, without its trailing newline. */
    public String read(String hostPath) {
        Path file = resolve(hostPath);
        if (dry != null && dry.knows(file)) {
            return stripNewline(dry.content(file).orElseThrow(() -> new HostAccessException(hostPath, "cannot read " + hostPath
                    + ": no such file")));
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(4096);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            while (ch.read(buf) > 0) {
                buf.flip();
                out.write(buf.array(), 0, buf.limit());
                buf.clear();
                if (out.size() > MAX_READ_BYTES) {
                    throw new HostAccessException(hostPath, "cannot read " + hostPath + ": longer than " + MAX_READ_BYTES + " bytes");
                }
            }
            return stripNewline(out.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new HostAccessException(hostPath, "cannot read " + hostPath + ": " + reason(e), e);
        }
    }

    /** Reads a file if it exists. */
    public Optional<String> readIfExists(String hostPath) {
        if (!exists(hostPath)) {
            return Optional.empty();
        }
        return Optional.of(read(hostPath));
    }

    /** Reads a file and parses it as a decimal long, naming the file when it is not one. */
    public long readLong(String hostPath) {
        String text = read(hostPath).trim();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new HostAccessException(hostPath, hostPath + ": expected a number, found '" + abbreviate(text) + "'");
        }
    }

    /**
     * The target of a symbolic link, as stored, without following it; empty when the path is not
     * a link (or does not exist). sysfs tells relations through links ({@code driver},
     * {@code iommu_group}) and {@code /proc/PID/fd/N} names the open file through one: both are
     * read as text, never opened, so a link pointing outside the host root is no escape. The
     * directory holding the link must still resolve below the root.
     */
    public Optional<String> readLink(String hostPath) {
        Path local = lexical(hostPath);
        Path parent = local.getParent();
        if (parent == null || !parent.startsWith(root)) {
            return Optional.empty();
        }
        if (realRoot.getNameCount() != 0 && !realPathOfDeepestExisting(hostPath, parent).startsWith(realRoot)) {
            throw new HostAccessException(hostPath, hostPath + ": refused, resolves outside the host root " + root);
        }
        if (!Files.isSymbolicLink(local)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readSymbolicLink(local).toString());
        } catch (NoSuchFileException e) {
            // Gone between the check and the read: a process closed the file, a driver let go of the device.
            return Optional.empty();
        } catch (IOException e) {
            throw new HostAccessException(hostPath, "cannot read the link " + hostPath + ": " + reason(e), e);
        }
    }

    /** Names of the entries of a directory, sorted. */
    public List<String> list(String hostDir) {
        Path dir = resolve(hostDir);
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                names.add(entry.getFileName().toString());
            }
        } catch (IOException e) {
            throw new HostAccessException(hostDir, "cannot list " + hostDir + ": " + reason(e), e);
        }
        names.sort(null);
        return names;
    }

    /**
     * Writes {@code value} to an existing file and returns what it replaced. The file must
     * already exist: kernel files are never created, a missing one means the kernel lacks
     * the feature.
     */
    public Change write(String hostPath, String value) {
        Objects.requireNonNull(value, "value");
        String before = read(hostPath);
        Change change = new Change(hostPath, before, value);
        writeRaw(hostPath, value, change, IN_THIS_THREAD);
        return change;
    }

    /**
     * Writes {@code value} to a file whose read-back cannot simply be written back, and
     * returns a {@link Change} whose {@code before} is what undoes it: {@code undoValue} maps
     * the old content to that value. For example {@code cgroup.subtree_control} reads
     * {@code cpu cpuset} but is undone by writing {@code -cpuset}, and
     * {@code cpuset.cpus.partition} reads {@code root invalid (reason)} but is undone by
     * {@code root}. The listener sees this undo value, so a journal can replay it.
     */
    public Change write(String hostPath, String value, java.util.function.UnaryOperator<String> undoValue) {
        Objects.requireNonNull(value, "value");
        String before = undoValue.apply(read(hostPath));
        Change change = new Change(hostPath, before, value);
        writeRaw(hostPath, value, change, IN_THIS_THREAD);
        return change;
    }

    /**
     * Reads a file once, computes the new value from the old one and writes it: a
     * read-modify-write with a single read, for knobs whose new value depends on the old
     * ({@code nr_hugepages} plus N). The caller holds whatever lock makes this atomic.
     */
    public Change update(String hostPath, java.util.function.UnaryOperator<String> next) {
        String before = read(hostPath);
        String value = Objects.requireNonNull(next.apply(before), "new value");
        Change change = new Change(hostPath, before, value);
        writeRaw(hostPath, value, change, IN_THIS_THREAD);
        return change;
    }

    /** Puts back the value a {@link Change} replaced. */
    public Change undo(Change change) {
        return write(change.path(), change.before());
    }

    /**
     * Writes to a trigger file that has no value to restore ({@code drop_caches},
     * {@code compact_memory}). Still seen by the listener, through
     * {@link HostWriteListener#beforeTrigger}.
     */
    public void trigger(String hostPath, String value) {
        writeRaw(hostPath, value, null, IN_THIS_THREAD);
    }

    /**
     * Like {@link #trigger(String, String)}, but the bytes reach the file through {@code writer}:
     * the listeners have seen the write (the journal has it) before {@code writer} runs, and the
     * path has been resolved below the root. For a write that may never return, which the
     * caller hands to a process it can abandon.
     */
    public void trigger(String hostPath, String value, RawWriter writer) {
        writeRaw(hostPath, value, null, Objects.requireNonNull(writer, "writer"));
    }

    /** Puts already-checked bytes into an already-resolved file. */
    @FunctionalInterface
    public interface RawWriter {
        /**
         * @param file  the resolved local file
         * @param bytes the whole value, to be written in one {@code write(2)}
         */
        void write(Path file, byte[] bytes) throws IOException;
    }

    /**
     * Creates a directory (and its missing parents, with default permissions) whose last
     * component gets {@code mode} ({@code rwx------}). An existing directory is an error: the
     * caller removes what it wants replaced first.
     */
    public void createDirectory(String hostPath, String mode) {
        Path dir = resolve(hostPath);
        announce(hostPath, "create", true);
        if (dry != null) {
            dry.created(dir, null);
            return;
        }
        try {
            Files.createDirectories(dir.getParent());
            Files.createDirectory(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString(mode)));
        } catch (IOException e) {
            throw new HostAccessException(hostPath, "cannot create directory " + hostPath + ": " + reason(e), e);
        }
        listener.afterChange(hostPath);
    }

    /** Creates a new file holding {@code content} with {@code mode} ({@code rw-------}); an existing file is an error. */
    public void createFile(String hostPath, String content, String mode) {
        Path file = resolve(hostPath);
        announce(hostPath, "create", true);
        if (dry != null) {
            dry.created(file, content);
            return;
        }
        try {
            Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString(mode)));
            Files.writeString(file, content, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new HostAccessException(hostPath, "cannot create " + hostPath + ": " + reason(e), e);
        }
        listener.afterChange(hostPath);
    }

    /**
     * Removes a file or a directory with everything in it, never following a symbolic link
     * (a link is removed, not what it points to). Nothing there is fine.
     */
    public void removeTree(String hostPath) {
        Path top = resolve(hostPath);
        if (!exists(hostPath) && !Files.isSymbolicLink(top)) {
            return;
        }
        announce(hostPath, "remove", false);
        if (dry != null) {
            dry.removed(top);
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(top)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new HostAccessException(hostPath, "cannot remove " + hostPath + ": " + reason(e), e);
        }
        listener.afterChange(hostPath);
    }

    /**
     * What is at {@code hostPath} itself, never following a symbolic link there ({@code lstat}):
     * its kind, owner, group, mode, size and inode; empty when nothing is there. In a dry run, a
     * file the run created shows as a regular file with unknown owner.
     */
    public Optional<FileStatus> status(String hostPath) {
        Path file = resolveNoFollow(hostPath);
        if (dry != null && dry.knows(file)) {
            return dry.exists(file) ? Optional.of(new FileStatus(dry.isDirectory(file) ? FileStatus.Kind.DIRECTORY
                    : FileStatus.Kind.REGULAR, -1, -1, 0, dry.content(file).map(String::length).orElse(0), -1)) : Optional.empty();
        }
        return FileStatus.read(hostPath, file);
    }

    /**
     * Creates a new regular file of {@code size} bytes (a sparse file: the pages come when they
     * are used) owned by {@code uid}:{@code gid} with {@code mode} ({@code 0660}), for a file
     * another program maps, such as {@code /dev/shm/looking-glass}. The create is exclusive and
     * does not follow links ({@code O_CREAT|O_EXCL|O_NOFOLLOW}): whatever appears at the path
     * meanwhile, a link planted in a world-writable directory included, makes it fail, never
     * redirects it. The file is born {@code 0600} and root's, so nobody else can open it before
     * it is complete; owner and mode are then set without following links and checked. A
     * failure removes the file again.
     */
    public void createSharedFile(String hostPath, long size, int uid, int gid, int mode) {
        if (size < 0 || uid < 0 || gid < 0 || (mode & ~07777) != 0) {
            throw new IllegalArgumentException("invalid size, owner or mode for " + hostPath);
        }
        Path file = resolveNoFollow(hostPath);
        announce(hostPath, "create", true);
        if (dry != null) {
            dry.created(file, "");
            return;
        }
        try (FileChannel ch = FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                java.nio.file.LinkOption.NOFOLLOW_LINKS), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")))) {
            if (size > 0) {
                ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
            }
        } catch (IOException e) {
            throw new HostAccessException(hostPath, "cannot create " + hostPath + ": " + reason(e), e);
        }
        try {
            FileStatus.own(file, uid, gid, mode);
            FileStatus made = FileStatus.read(hostPath, file).orElseThrow(() -> new IOException("gone right after its creation"));
            if (made.kind() != FileStatus.Kind.REGULAR || made.uid() != uid || made.gid() != gid || made.mode() != mode
                    || made.size() != size) {
                throw new IOException("it reads back as " + made.describe() + ", not a file of " + size + " bytes "
                        + FileStatus.ownership(uid, gid, mode));
            }
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // Reported below: the caller's undo removes it by its claim.
            }
            throw new HostAccessException(hostPath, "cannot give " + hostPath + " its owner and mode: "
                    + (e instanceof IOException io ? reason(io) : e.getMessage()), e);
        }
        listener.afterChange(hostPath);
    }

    /**
     * Sets the owner, group and mode of an existing file that is not a link (a device node such
     * as {@code /dev/kvmfr0}) and returns the change, its values {@code uid:gid mode}: the listener
     * sees it first through {@link HostWriteListener#beforeOwnership}.
     */
    public Change setOwnership(String hostPath, int uid, int gid, int mode) {
        if (uid < 0 || gid < 0 || (mode & ~07777) != 0) {
            throw new IllegalArgumentException("invalid owner or mode for " + hostPath);
        }
        Path file = resolveNoFollow(hostPath);
        FileStatus now = status(hostPath).orElseThrow(() -> new HostAccessException(hostPath, "cannot change the owner of "
                + hostPath + ": no such file"));
        if (now.kind() == FileStatus.Kind.LINK || now.kind() == FileStatus.Kind.DIRECTORY) {
            throw new HostAccessException(hostPath, "refused to change the owner of " + hostPath + ": it is " + now.describe());
        }
        Change change = new Change(hostPath, now.ownership(), FileStatus.ownership(uid, gid, mode));
        try {
            listener.beforeOwnership(change);
        } catch (IOException e) {
            throw new HostAccessException(hostPath, "cannot change the owner of " + hostPath + ": " + reason(e), e);
        }
        if (dry != null) {
            return change;
        }
        try {
            FileStatus.own(file, uid, gid, mode);
        } catch (IOException e) {
            throw new HostAccessException(hostPath, "cannot set " + change.after() + " on " + hostPath + ": " + reason(e), e);
        }
        listener.afterChange(hostPath);
        return change;
    }

    /**
     * Removes one file that is not a directory (a link is removed, not what it points to);
     * nothing there is fine.
     */
    public void removeFile(String hostPath) {
        Path file = resolveNoFollow(hostPath);
        Optional<FileStatus> now = status(hostPath);
        if (now.isEmpty()) {
            return;
        }
        if (now.get().kind() == FileStatus.Kind.DIRECTORY) {
            throw new HostAccessException(hostPath, "refused to remove " + hostPath + ": it is a directory");
        }
        announce(hostPath, "remove", false);
        if (dry != null) {
            dry.removed(file);
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new HostAccessException(hostPath, "cannot remove " + hostPath + ": " + reason(e), e);
        }
        listener.afterChange(hostPath);
    }

    private void announce(String hostPath, String what, boolean create) {
        try {
            if (create) {
                listener.beforeCreate(hostPath);
            } else {
                listener.beforeRemove(hostPath);
            }
        } catch (IOException e) {
            throw new HostAccessException(hostPath, "cannot " + what + " " + hostPath + ": " + reason(e), e);
        }
    }

    private void writeRaw(String hostPath, String value, Change change, RawWriter writer) {
        Path file = resolve(hostPath);
        if (dry != null ? !exists(hostPath) : !Files.exists(file)) {
            throw new HostAccessException(hostPath, "cannot write '" + abbreviate(value) + "' to " + hostPath
                    + ": no such file (the kernel does not offer this setting)");
        }
        try {
            if (change == null) {
                listener.beforeTrigger(hostPath, value);
            } else {
                listener.beforeWrite(change);
            }
        } catch (IOException e) {
            throw new HostAccessException(hostPath, "cannot write '" + abbreviate(value) + "' to " + hostPath + ": " + reason(e), e);
        }
        if (dry != null) {
            if (change != null) {
                dry.written(file, value);
                listener.afterWrite(change);
            }
            return;
        }
        // A zero-byte write never reaches the kernel's parser: an empty value is written as a newline, as echo would.
        byte[] bytes = (value.isEmpty() ? "\n" : value).getBytes(StandardCharsets.UTF_8);
        try {
            writer.write(file, bytes);
        } catch (IOException e) {
            throw new HostAccessException(hostPath, "cannot write '" + abbreviate(value) + "' to " + hostPath + ": " + reason(e), e);
        }
        if (change != null) {
            listener.afterWrite(change);
        }
    }

    /** The plain write (a class, not {@code HostRoot::writeInThisThread}: every host write of a hook event goes here). */
    private static final RawWriter IN_THIS_THREAD = new RawWriter() {
        @Override
        public void write(Path file, byte[] bytes) throws IOException {
            writeInThisThread(file, bytes);
        }
    };

    private static void writeInThisThread(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            int written = ch.write(ByteBuffer.wrap(bytes));
            if (written != bytes.length) {
                throw new IOException("short write: " + written + " of " + bytes.length + " bytes");
            }
        }
    }

    private Path lexical(String hostPath) {
        if (hostPath == null || !hostPath.startsWith("/")) {
            throw new HostAccessException(String.valueOf(hostPath), "refused path '" + hostPath + "': host paths must be absolute");
        }
        if (hostPath.indexOf('\0') >= 0) {
            throw new HostAccessException(hostPath.replace('\0', '?'), "refused path with a NUL byte");
        }
        Path relative = Path.of(hostPath.substring(1)).normalize();
        if (relative.startsWith("..")) {
            throw new HostAccessException(hostPath, hostPath + ": refused, leaves the host root " + root);
        }
        Path local = root.resolve(relative).normalize();
        if (!local.startsWith(root)) {
            throw new HostAccessException(hostPath, hostPath + ": refused, leaves the host root " + root);
        }
        return local;
    }

    /** Like {@link #resolve}, but the last component is taken as it is, never followed: only its directory must stay below the root. */
    private Path resolveNoFollow(String hostPath) {
        Path local = lexical(hostPath);
        Path parent = local.getParent();
        if (parent == null || !parent.startsWith(root) || local.equals(root)) {
            throw new HostAccessException(hostPath, hostPath + ": refused, not a file below the host root " + root);
        }
        if (realRoot.getNameCount() != 0 && !realPathOfDeepestExisting(hostPath, parent).startsWith(realRoot)) {
            throw new HostAccessException(hostPath, hostPath + ": refused, resolves outside the host root " + root);
        }
        return local;
    }

    private Path realPathOfDeepestExisting(String hostPath, Path local) {
        Path probe = local;
        while (probe != null) {
            try {
                return probe.toRealPath();
            } catch (NoSuchFileException e) {
                probe = probe.getParent();
            } catch (IOException e) {
                throw new HostAccessException(hostPath, "cannot resolve " + hostPath + ": " + reason(e), e);
            }
        }
        return realRoot;
    }

    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String stripNewline(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '\n')) {
            end--;
        }
        return s.substring(0, end);
    }

    static String abbreviate(String s) {
        String oneLine = s.replace('\n', ' ');
        return oneLine.length() <= 80 ? oneLine : oneLine.substring(0, 77) + "...";
    }

    /**
     * What a dry run wrote, created and removed, by resolved path, shared by every listener view
     * of one dry host. A write is kept as the kernel file's new content: the hook's own read-back
     * then sees the value it wrote, as it would where the kernel accepts it.
     */
    private static final class DryWrites {
        /** Path to its content, {@link #DIRECTORY}, or {@link #GONE} for a removed path (compared by identity). */
        private final java.util.Map<Path, String> paths = new java.util.concurrent.ConcurrentHashMap<>();
        private static final String GONE = new String("\0gone");
        private static final String DIRECTORY = new String("\0dir");

        synchronized boolean knows(Path file) {
            for (Path p = file; p != null; p = p.getParent()) {
                String v = paths.get(p);
                if (v == GONE || (p.equals(file) && v != null)) {
                    return true;
                }
            }
            return false;
        }

        synchronized boolean exists(Path file) {
            return content(file).isPresent() || isDirectory(file);
        }

        synchronized boolean isDirectory(Path file) {
            return underRemoved(file) ? false : paths.get(file) == DIRECTORY;
        }

        synchronized Optional<String> content(Path file) {
            String v = paths.get(file);
            if (underRemoved(file) || v == null || v == DIRECTORY || v == GONE) {
                return Optional.empty();
            }
            return Optional.of(v);
        }

        private boolean underRemoved(Path file) {
            for (Path p = file; p != null; p = p.getParent()) {
                if (paths.get(p) == GONE) {
                    return true;
                }
            }
            return false;
        }

        synchronized void written(Path file, String value) {
            paths.put(file, value);
        }

        synchronized void created(Path file, String content) {
            // Creating below a removed directory brings the path back: clear the removal marks on the way.
            for (Path p = file.getParent(); p != null; p = p.getParent()) {
                if (paths.get(p) == GONE) {
                    paths.put(p, DIRECTORY);
                }
            }
            paths.put(file, content == null ? DIRECTORY : content);
        }

        synchronized void removed(Path top) {
            paths.keySet().removeIf(p -> p.startsWith(top));
            paths.put(top, GONE);
        }
    }
}
