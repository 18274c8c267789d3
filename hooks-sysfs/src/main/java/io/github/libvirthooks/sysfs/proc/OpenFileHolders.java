package io.github.libvirthooks.sysfs.proc;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Which processes hold given device nodes open, found as {@code fuser} finds them: every
 * {@code /proc/PID/fd/N} link is read (never opened) and compared with the nodes. A process
 * that exits during the scan is skipped; one whose descriptors cannot be read (another user's,
 * when not root) is counted in {@link Scan#unreadable}.
 */
public final class OpenFileHolders {
    static final String PASSWD = "/etc/passwd";
    /** A process with more descriptors than this is scanned up to here: bounds the work on a hostile /proc. */
    static final int MAX_FDS_PER_PROCESS = 65536;

    private final HostRoot host;

    public OpenFileHolders(HostRoot host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    /**
     * What a scan found.
     *
     * @param holders    one entry per process and node it holds
     * @param unreadable how many processes' descriptors could not be read
     */
    public record Scan(List<Holder> holders, int unreadable) {
        public Scan {
            holders = List.copyOf(holders);
        }
    }

    /** The processes holding any node {@code isWatched} accepts ({@code /dev/dri/card0}, or every {@code /dev/nvidia*}). */
    public Scan holding(Predicate<String> isWatched) {
        List<Holder> holders = new ArrayList<>();
        int unreadable = 0;
        Map<Integer, String> users = null;
        List<Integer> pids = new ArrayList<>();
        for (String name : host.list("/proc")) {
            if (name.matches("[1-9][0-9]{0,9}") && Long.parseLong(name) <= Integer.MAX_VALUE) {
                pids.add(Integer.parseInt(name));
            }
        }
        pids.sort(null);
        for (int pid : pids) {
            String fdDir = "/proc/" + pid + "/fd";
            List<String> fds;
            try {
                if (!host.isDirectory(fdDir)) {
                    continue;
                }
                fds = host.list(fdDir);
            } catch (HostAccessException e) {
                if (e.errno() != HostAccessException.Errno.ENOENT) {
                    unreadable++;
                }
                continue;
            }
            List<String> held = new ArrayList<>();
            int n = 0;
            for (String fd : fds) {
                if (++n > MAX_FDS_PER_PROCESS) {
                    break;
                }
                if (!fd.matches("[0-9]{1,10}")) {
                    continue;
                }
                Optional<String> target;
                try {
                    target = host.readLink(fdDir + "/" + fd);
                } catch (HostAccessException e) {
                    continue;
                }
                if (target.isPresent() && isWatched.test(target.get()) && !held.contains(target.get())) {
                    held.add(target.get());
                }
            }
            if (held.isEmpty()) {
                continue;
            }
            if (users == null) {
                users = passwd();
            }
            String comm = small("/proc/" + pid + "/comm").orElse("?");
            int uid = uid(pid);
            String user = uid < 0 ? "?" : users.getOrDefault(uid, String.valueOf(uid));
            String cgroup = cgroup(pid);
            for (String device : held) {
                holders.add(new Holder(pid, comm, uid, user, device, cgroup));
            }
        }
        return new Scan(holders, unreadable);
    }

    /** The real uid from {@code /proc/PID/status}'s {@code Uid:} line, -1 when unknown. */
    private int uid(int pid) {
        for (String line : small("/proc/" + pid + "/status").orElse("").split("\n")) {
            if (line.startsWith("Uid:")) {
                String[] f = line.substring(4).strip().split("\\s+");
                if (f.length > 0 && f[0].matches("[0-9]{1,10}") && Long.parseLong(f[0]) <= Integer.MAX_VALUE) {
                    return Integer.parseInt(f[0]);
                }
            }
        }
        return -1;
    }

    /**
     * The unified-hierarchy path from {@code /proc/PID/cgroup} ({@code 0::/system.slice/gdm.service}),
     * else systemd's named v1 hierarchy ({@code 1:name=systemd:/...}) on hybrid hosts; empty when neither.
     */
    private String cgroup(int pid) {
        String text = small("/proc/" + pid + "/cgroup").orElse("");
        Optional<String> unified = io.github.libvirthooks.sysfs.cgroup.ProcCgroup.unified(text);
        if (unified.isPresent()) {
            return clean(unified.get());
        }
        String named = "";
        for (String line : text.split("\n")) {
            int at = line.indexOf(":name=systemd:");
            if (at >= 0) {
                named = clean(line.substring(at + ":name=systemd:".length()));
            }
        }
        return named;
    }

    private static String clean(String path) {
        String p = path.strip();
        return p.startsWith("/") && p.length() <= 4096 && p.chars().noneMatch(c -> c < 0x20) ? p : "";
    }

    /** uid to user name, from the host root's {@code /etc/passwd}. */
    private Map<Integer, String> passwd() {
        Map<Integer, String> users = new HashMap<>();
        for (String line : small(PASSWD).orElse("").split("\n")) {
            String[] f = line.split(":", -1);
            if (f.length >= 3 && f[0].matches("[A-Za-z0-9_.][A-Za-z0-9_.-]{0,31}\\$?") && f[2].matches("[0-9]{1,10}")
                    && Long.parseLong(f[2]) <= Integer.MAX_VALUE) {
                users.putIfAbsent(Integer.parseInt(f[2]), f[0]);
            }
        }
        return users;
    }

    /** A small file that may vanish (the process exited): empty then; its control characters shown as '?'. */
    private Optional<String> small(String path) {
        try {
            return host.readIfExists(path).map(s -> s.length() > 65536 ? s.substring(0, 65536) : s)
                    .map(s -> path.endsWith("/comm") ? printable(s.strip()) : s);
        } catch (HostAccessException e) {
            return Optional.empty();
        }
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().limit(64).forEach(c -> out.appendCodePoint(c < 0x20 || c == 0x7f ? '?' : c));
        return out.toString();
    }
}
