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

    private HostRoot(Path root, HostWriteListener listener) {
        this.root = root.toAbsolutePath().normalize();
        try {
            this.realRoot = this.root.toRealPath();
        } catch (IOException e) {
            throw new HostAccessException(root.toString(), "host root " + root + " is not usable: " + reason(e), e);
        }
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** The real host: root {@code /}. */
    public static HostRoot system() {
        return new HostRoot(Path.of("/"), HostWriteListener.NONE);
    }

    /** A host tree below {@code root} (a fake tree in tests, a chroot, a container's root). */
    public static HostRoot at(Path root) {
        return new HostRoot(root, HostWriteListener.NONE);
    }

    /**
     * The same root, with every write also reported to {@code listener}. Listeners stack:
     * the new one sees a write before the ones already attached (so a journal records the
     * intent even when an inner listener refuses the write) and after them once it is done.
     */
    public HostRoot withListener(HostWriteListener listener) {
        HostWriteListener inner = this.listener;
        if (inner == HostWriteListener.NONE) {
            return new HostRoot(root, listener);
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
            public void afterWrite(Change done) {
                inner.afterWrite(done);
                listener.afterWrite(done);
            }
        });
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
        return Files.exists(resolve(hostPath));
    }

    /** True if {@code hostPath} is a directory. */
    public boolean isDirectory(String hostPath) {
        return Files.isDirectory(resolve(hostPath));
    }

    /** Reads a whole file, without its trailing newline. */
    public String read(String hostPath) {
        Path file = resolve(hostPath);
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
        writeRaw(hostPath, value, change);
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
        writeRaw(hostPath, value, change);
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
        writeRaw(hostPath, value, change);
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
        writeRaw(hostPath, value, null);
    }

    private void writeRaw(String hostPath, String value, Change change) {
        Path file = resolve(hostPath);
        if (!Files.exists(file)) {
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
        // A zero-byte write never reaches the kernel's parser: an empty value is written as a newline, as echo would.
        byte[] bytes = (value.isEmpty() ? "\n" : value).getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            int written = ch.write(ByteBuffer.wrap(bytes));
            if (written != bytes.length) {
                throw new IOException("short write: " + written + " of " + bytes.length + " bytes");
            }
        } catch (IOException e) {
            throw new HostAccessException(hostPath, "cannot write '" + abbreviate(value) + "' to " + hostPath + ": " + reason(e), e);
        }
        if (change != null) {
            listener.afterWrite(change);
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
}
