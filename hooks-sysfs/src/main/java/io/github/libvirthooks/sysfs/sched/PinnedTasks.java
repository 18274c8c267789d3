package io.github.libvirthooks.sysfs.sched;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Processes whose CPU affinity someone narrowed by hand ({@code taskset}, {@code CPUAffinity=}):
 * {@code Cpus_allowed_list} of {@code /proc/PID/status} smaller than the online CPUs, in the
 * cgroup v2 subtrees asked for ({@code /proc/PID/cgroup}'s {@code 0::} line). Before Linux 6.2
 * the kernel resets the affinity of every task in a cgroup when that cgroup's cpuset changes
 * (the user's mask is not kept), so these lose their pinning when a cpuset is turned on or
 * narrowed under them.
 */
public final class PinnedTasks {
    /** At most this many are named; a host with more has its own pinning manager. */
    static final int MAX_LISTED = 20;
    private static final Pattern RELEASE = Pattern.compile("(\\d+)\\.(\\d+).*");

    private final HostRoot host;

    /** Processes below {@code host}. */
    public PinnedTasks(HostRoot host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    /** One pinned process. */
    public record Pinned(int pid, String command, CpuSet cpus, String cgroup) {
        /** {@code 1234 (sleep, CPUs 1)}. */
        @Override
        public String toString() {
            return pid + " (" + command + ", CPUs " + cpus + ")";
        }
    }

    /**
     * True when this kernel resets a cgroup's tasks' affinity on a cpuset change: before 6.2
     * ({@code /proc/sys/kernel/osrelease}); false when the release cannot be read.
     */
    public boolean kernelResetsAffinity() {
        Matcher m = RELEASE.matcher(kernelRelease());
        if (!m.matches()) {
            return false;
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        return major < 6 || major == 6 && minor < 2;
    }

    /** The running kernel's release ({@code 6.1.0-50-amd64}), empty when it cannot be read. */
    public String kernelRelease() {
        return host.readIfExists("/proc/sys/kernel/osrelease").orElse("").strip();
    }

    /**
     * The processes in {@code subtrees} (cgroup paths such as {@code /user.slice}) that may run on
     * fewer CPUs than {@code online}, by pid; at most {@link #MAX_LISTED}. Kernel threads (no
     * cgroup v2 line) and processes that end while they are read are left out.
     */
    public List<Pinned> in(List<String> subtrees, CpuSet online) {
        List<Pinned> found = new ArrayList<>();
        List<Integer> pids = new ArrayList<>();
        for (String name : host.list("/proc")) {
            if (name.matches("[1-9][0-9]{0,6}")) {
                pids.add(Integer.parseInt(name));
            }
        }
        pids.sort(null);
        for (int pid : pids) {
            if (found.size() >= MAX_LISTED) {
                break;
            }
            read(pid, subtrees, online).ifPresent(found::add);
        }
        return List.copyOf(found);
    }

    private Optional<Pinned> read(int pid, List<String> subtrees, CpuSet online) {
        try {
            Optional<String> cgroup = host.readIfExists("/proc/" + pid + "/cgroup").flatMap(io.github.libvirthooks.sysfs.cgroup.ProcCgroup::unified);
            if (cgroup.isEmpty() || subtrees.stream().noneMatch(s -> cgroup.get().equals(s) || cgroup.get().startsWith(s + "/"))) {
                return Optional.empty();
            }
            Optional<String> status = host.readIfExists("/proc/" + pid + "/status");
            if (status.isEmpty()) {
                return Optional.empty();
            }
            Optional<CpuSet> allowed = field(status.get(), "Cpus_allowed_list").map(CpuSet::parseList);
            if (allowed.isEmpty() || allowed.get().containsAll(online)) {
                return Optional.empty();
            }
            String command = field(status.get(), "Name").orElse("?");
            return Optional.of(new Pinned(pid, printable(command), allowed.get(), cgroup.get()));
        } catch (HostAccessException | IllegalArgumentException e) {
            // Gone while read, or garbage: not a process to warn about.
            return Optional.empty();
        }
    }

    private static Optional<String> field(String status, String name) {
        return status.lines().filter(l -> l.startsWith(name + ":")).map(l -> l.substring(name.length() + 1).strip()).findFirst();
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().limit(32).forEach(c -> out.append(Character.isISOControl(c) || c == ',' ? "?" : Character.toString(c)));
        return out.toString();
    }
}
