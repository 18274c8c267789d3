package io.github.libvirthooks.sysfs.cgroup;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A handle to one cgroup of the unified (v2) hierarchy: a path relative to the cgroup2
 * mount point ({@code machine.slice/machine-qemu\x2d1\x2dwin10.scope}), the empty path
 * being the root cgroup. Creating a handle touches nothing; {@link #exists()} tells whether
 * the cgroup is there.
 *
 * <p>Names are taken literally, backslashes included, because systemd escapes unit names
 * that way; only {@code ..}, {@code .}, empty components, absolute paths, NUL and newline
 * are refused. Every file access goes through {@link HostRoot}, so a fake tree in a test
 * directory works the same as {@code /sys/fs/cgroup}.
 */
public final class Cgroup {
    /** Kernel controller names are lower case words ({@code cpuset}, {@code hugetlb}). */
    private static final Pattern CONTROLLER = Pattern.compile("[a-z][a-z0-9_]*");
    /** The file that enables controllers for the children. */
    public static final String SUBTREE_CONTROL = "cgroup.subtree_control";
    /** NAME_MAX of the kernel: a longer cgroup name cannot exist. */
    private static final int NAME_MAX = 255;

    private final HostRoot host;
    private final String mountPoint;
    private final String path;

    private Cgroup(HostRoot host, String mountPoint, String path) {
        this.host = host;
        this.mountPoint = mountPoint;
        this.path = path;
    }

    /**
     * The root cgroup of the unified hierarchy mounted at {@code mountPoint} (an absolute
     * host path such as {@code /sys/fs/cgroup}); see {@link CgroupMounts#unifiedRoot}.
     */
    public static Cgroup root(HostRoot host, String mountPoint) {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(mountPoint, "mountPoint");
        if (!mountPoint.startsWith("/") || mountPoint.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("cgroup2 mount point '" + mountPoint.replace('\0', '?') + "' must be an absolute path");
        }
        String normalized = mountPoint.length() > 1 && mountPoint.endsWith("/")
                ? mountPoint.substring(0, mountPoint.length() - 1)
                : mountPoint;
        return new Cgroup(host, normalized, "");
    }

    /**
     * A cgroup known only by its directory, as a journal recorded it: its parent is the
     * directory above, taken for the root of the hierarchy. Enough to read and write the
     * cgroup's own files; {@link #path()} is then its name alone.
     *
     * @throws IllegalArgumentException when {@code hostDirectory} is not an absolute, normalized path below {@code /}
     */
    public static Cgroup atDirectory(HostRoot host, String hostDirectory) {
        Objects.requireNonNull(hostDirectory, "hostDirectory");
        int slash = hostDirectory.lastIndexOf('/');
        if (!hostDirectory.startsWith("/") || slash == hostDirectory.length() - 1
                || !java.nio.file.Path.of(hostDirectory).normalize().toString().equals(hostDirectory)) {
            throw new IllegalArgumentException("cgroup directory '" + printable(hostDirectory) + "' must be an absolute, normalized path");
        }
        return root(host, slash == 0 ? "/" : hostDirectory.substring(0, slash)).child(hostDirectory.substring(slash + 1));
    }

    /**
     * A cgroup below this one, by relative path ({@code machine.slice/foo.scope}).
     *
     * @throws IllegalArgumentException when the path is absolute or has {@code ..},
     *                                  {@code .}, empty components, NUL or newline
     */
    public Cgroup resolve(String relativePath) {
        Objects.requireNonNull(relativePath, "relativePath");
        if (relativePath.isEmpty()) {
            return this;
        }
        if (relativePath.startsWith("/")) {
            throw new IllegalArgumentException("cgroup path '" + printable(relativePath)
                    + "' must be relative to the cgroup (no leading '/')");
        }
        for (String name : relativePath.split("/", -1)) {
            checkName(name, relativePath);
        }
        return new Cgroup(host, mountPoint, path.isEmpty() ? relativePath : path + "/" + relativePath);
    }

    /**
     * The child cgroup called {@code name} (one path component, taken literally).
     *
     * @throws IllegalArgumentException when the name has a {@code /} or is not a valid name
     */
    public Cgroup child(String name) {
        Objects.requireNonNull(name, "name");
        if (name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("cgroup name '" + printable(name) + "' must not contain '/'; use resolve() for paths");
        }
        checkName(name, name);
        return new Cgroup(host, mountPoint, path.isEmpty() ? name : path + "/" + name);
    }

    /** The parent cgroup, empty for the root. */
    public Optional<Cgroup> parent() {
        if (path.isEmpty()) {
            return Optional.empty();
        }
        int slash = path.lastIndexOf('/');
        return Optional.of(new Cgroup(host, mountPoint, slash < 0 ? "" : path.substring(0, slash)));
    }

    /** True for the root cgroup of the hierarchy. */
    public boolean isRoot() {
        return path.isEmpty();
    }

    /** The path relative to the mount point; empty for the root. */
    public String path() {
        return path;
    }

    /** The last component of the path; empty for the root. */
    public String name() {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** The absolute host path of the cgroup's directory ({@code /sys/fs/cgroup/machine.slice}). */
    public String hostPath() {
        if (path.isEmpty()) {
            return mountPoint;
        }
        return mountPoint.equals("/") ? "/" + path : mountPoint + "/" + path;
    }

    /** The absolute host path of one of the cgroup's files ({@code .../cpuset.cpus}). */
    public String fileHostPath(String file) {
        checkFileName(file);
        return hostPath().equals("/") ? "/" + file : hostPath() + "/" + file;
    }

    /** The {@link HostRoot} the cgroup is read and written through. */
    public HostRoot host() {
        return host;
    }

    /** True when the cgroup's directory exists. */
    public boolean exists() {
        return host.isDirectory(hostPath());
    }

    /** True when the cgroup has the file (the kernel and the enabled controllers offer it). */
    public boolean hasFile(String file) {
        return host.exists(fileHostPath(file));
    }

    /** The child cgroups that exist now, sorted by name. */
    public List<Cgroup> children() {
        requireExists();
        List<Cgroup> children = new ArrayList<>();
        for (String name : host.list(hostPath())) {
            if (host.isDirectory(hostPath().equals("/") ? "/" + name : hostPath() + "/" + name)) {
                children.add(child(name));
            }
        }
        return children;
    }

    /** The controllers this cgroup may use ({@code cgroup.controllers}), in the kernel's order. */
    public Set<String> controllers() {
        return words(readFile("cgroup.controllers"));
    }

    /** The controllers enabled for the children ({@code cgroup.subtree_control}). */
    public Set<String> subtreeControl() {
        return words(readFile(SUBTREE_CONTROL));
    }

    /**
     * Enables controllers for the children by writing {@code +cpuset +cpu} to
     * {@code cgroup.subtree_control}. Controllers already enabled are left alone; if all of
     * them are, nothing is written and the returned change is a no-op.
     *
     * <p>The file reads as a list ({@code cpu memory}) but only accepts commands, so the
     * returned change is in command form: {@code after} is what was written and
     * {@code before} is the command that undoes it ({@code -cpuset -cpu}), which
     * {@link HostRoot#undo} can write back as is.
     *
     * @throws CgroupException when a controller is not in {@code cgroup.controllers} (the
     *                         parent does not pass it down) or the kernel refuses the write
     */
    public Change enableControllers(Collection<String> controllers) {
        Set<String> wanted = checkControllers(controllers);
        Set<String> available = controllers();
        for (String controller : wanted) {
            if (!available.contains(controller)) {
                throw new CgroupException(fileHostPath(SUBTREE_CONTROL), "cannot enable controller '" + controller
                        + "' for the children of " + describe() + ": it is not in its cgroup.controllers (" + String.join(" ", available)
                        + "); enable it in the parent's cgroup.subtree_control first"
                        + (isRoot() ? " (at the root: the controller is bound to a cgroup v1 hierarchy or missing from the kernel)" : ""));
            }
        }
        Set<String> enabled = subtreeControl();
        List<String> missing = wanted.stream().filter(c -> !enabled.contains(c)).toList();
        return writeSubtreeControl(missing, '+', '-');
    }

    /** {@link #enableControllers(Collection)} for the given controller names. */
    public Change enableControllers(String... controllers) {
        return enableControllers(List.of(controllers));
    }

    /**
     * Disables controllers for the children by writing {@code -cpuset} to
     * {@code cgroup.subtree_control}; controllers not enabled are left alone. The returned
     * change is in command form, as for {@link #enableControllers(Collection)}.
     */
    public Change disableControllers(Collection<String> controllers) {
        Set<String> unwanted = checkControllers(controllers);
        Set<String> enabled = subtreeControl();
        List<String> present = unwanted.stream().filter(enabled::contains).toList();
        return writeSubtreeControl(present, '-', '+');
    }

    /**
     * Writes {@code +controller} or {@code -controller} to {@code cgroup.subtree_control}
     * whatever it says now (the kernel takes a repeated command as a no-op): for a caller that
     * converges to a state it computed and must not depend on reading the file back. The
     * returned change is in command form, as for {@link #enableControllers(Collection)}.
     */
    public Change switchController(String controller, boolean enabled) {
        checkControllers(List.of(controller));
        return writeSubtreeControl(List.of(controller), enabled ? '+' : '-', enabled ? '-' : '+');
    }

    /** {@link #disableControllers(Collection)} for the given controller names. */
    public Change disableControllers(String... controllers) {
        return disableControllers(List.of(controllers));
    }

    /**
     * The processes (thread group ids) in this cgroup ({@code cgroup.procs}), in file order;
     * tasks outside this pid namespace (shown as 0) are left out.
     */
    public List<Integer> procs() {
        return pids("cgroup.procs");
    }

    /** The threads in this cgroup ({@code cgroup.threads}), in file order, as for {@link #procs()}. */
    public List<Integer> threads() {
        return pids("cgroup.threads");
    }

    /** The {@code cpuset} controller's files of this cgroup. */
    public Cpuset cpuset() {
        return new Cpuset(this);
    }

    /** The {@code cpu} controller's files of this cgroup. */
    public CpuController cpu() {
        return new CpuController(this);
    }

    /**
     * Reads one of the cgroup's files, without the trailing newline.
     *
     * @throws CgroupException when the file does not exist, naming the cgroup
     */
    public String readFile(String file) {
        return readFile(file, "");
    }

    /**
     * Writes one of the cgroup's files through {@link HostRoot#write}, after checking that
     * the file exists.
     *
     * @throws CgroupException when the file does not exist, naming the cgroup
     */
    public Change writeFile(String file, String value) {
        return writeFile(file, value, "");
    }

    String readFile(String file, String hint) {
        requireFile(file, hint);
        return host.read(fileHostPath(file));
    }

    Change writeFile(String file, String value, String hint) {
        requireFile(file, hint);
        return host.write(fileHostPath(file), value);
    }

    /** Like {@link #writeFile(String, String, String)}, for files undone by another value than they read. */
    Change writeFile(String file, String value, String hint, java.util.function.UnaryOperator<String> undoValue) {
        requireFile(file, hint);
        return host.write(fileHostPath(file), value, undoValue);
    }

    /** Fails with a clear message, plus {@code hint} on what may be missing, when a file is absent. */
    void requireFile(String file, String hint) {
        String filePath = fileHostPath(file);
        if (host.exists(filePath)) {
            return;
        }
        if (!exists()) {
            throw new CgroupException(filePath, describe() + " does not exist (no directory " + hostPath() + ")");
        }
        throw new CgroupException(filePath, describe() + " has no " + file + (hint.isEmpty() ? ": the kernel does not offer it" : ": " + hint));
    }

    /** How messages name this cgroup: its path, or "the root cgroup". */
    String describe() {
        return isRoot() ? "the root cgroup (" + mountPoint + ")" : "cgroup " + path;
    }

    private void requireExists() {
        if (!exists()) {
            throw new CgroupException(hostPath(), describe() + " does not exist (no directory " + hostPath() + ")");
        }
    }

    private Change writeSubtreeControl(List<String> controllers, char sign, char undoSign) {
        String file = fileHostPath(SUBTREE_CONTROL);
        if (controllers.isEmpty()) {
            requireFile(SUBTREE_CONTROL, "");
            return new Change(file, "", "");
        }
        String command = command(controllers, sign);
        String undo = command(controllers, undoSign);
        Change change;
        try {
            change = writeFile(SUBTREE_CONTROL, command, "", old -> undo);
        } catch (CgroupException e) {
            throw e;
        } catch (HostAccessException e) {
            String hint = "";
            if (sign == '+' && !isRoot() && hasFile("cgroup.procs") && !procs().isEmpty()) {
                hint = "; " + describe() + " has processes of its own, and cgroup v2 lets a non-root cgroup pass controllers"
                        + " to its children only when it has none (move them into a child cgroup first)";
            }
            throw new CgroupException(file, e.getMessage() + hint, e);
        }
        return change;
    }

    private static String command(List<String> controllers, char sign) {
        StringBuilder out = new StringBuilder();
        for (String controller : controllers) {
            if (out.length() > 0) {
                out.append(' ');
            }
            out.append(sign).append(controller);
        }
        return out.toString();
    }

    private static Set<String> checkControllers(Collection<String> controllers) {
        Objects.requireNonNull(controllers, "controllers");
        if (controllers.isEmpty()) {
            throw new IllegalArgumentException("name at least one controller");
        }
        Set<String> result = new LinkedHashSet<>();
        for (String controller : controllers) {
            if (controller == null || !CONTROLLER.matcher(controller).matches()) {
                throw new IllegalArgumentException("'" + controller + "' is not a cgroup controller name (like cpuset, cpu, memory)");
            }
            result.add(controller);
        }
        return result;
    }

    private List<Integer> pids(String file) {
        String text = readFile(file);
        List<Integer> pids = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            if (line.length() > 10 || !line.chars().allMatch(c -> c >= '0' && c <= '9') || Long.parseLong(line) > Integer.MAX_VALUE) {
                throw new CgroupException(fileHostPath(file), fileHostPath(file) + " line " + (i + 1) + ": expected a process id, found '"
                        + (line.length() > 40 ? line.substring(0, 37) + "..." : line) + "'");
            }
            int pid = Integer.parseInt(line);
            // 0 stands for a task outside our pid namespace; passed on, it would mean "myself".
            if (pid != 0) {
                pids.add(pid);
            }
        }
        return pids;
    }

    private static Set<String> words(String text) {
        Set<String> words = new LinkedHashSet<>();
        for (String word : text.strip().split("\\s+")) {
            if (!word.isEmpty()) {
                words.add(word);
            }
        }
        return Collections.unmodifiableSet(words);
    }

    private static void checkName(String name, String context) {
        String why = null;
        if (name.isEmpty()) {
            why = "empty path component";
        } else if (name.equals(".") || name.equals("..")) {
            why = "'" + name + "' is not allowed";
        } else if (name.indexOf('\0') >= 0) {
            why = "NUL byte";
        } else if (name.indexOf('\n') >= 0) {
            why = "newline (the kernel refuses it in cgroup names)";
        } else if (name.getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
            why = "name longer than " + NAME_MAX + " bytes";
        }
        if (why != null) {
            throw new IllegalArgumentException("invalid cgroup path '" + printable(context) + "': " + why);
        }
    }

    private static void checkFileName(String file) {
        Objects.requireNonNull(file, "file");
        if (file.isEmpty() || file.indexOf('/') >= 0 || file.equals(".") || file.equals("..") || file.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("'" + printable(file) + "' is not a cgroup file name");
        }
    }

    private static String printable(String s) {
        return s.replace('\0', '?').replace('\n', '?');
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cgroup other && host.root().equals(other.host.root())
                && mountPoint.equals(other.mountPoint) && path.equals(other.path);
    }

    @Override
    public int hashCode() {
        return Objects.hash(host.root(), mountPoint, path);
    }

    /** The absolute host path of the cgroup. */
    @Override
    public String toString() {
        return hostPath();
    }
}
