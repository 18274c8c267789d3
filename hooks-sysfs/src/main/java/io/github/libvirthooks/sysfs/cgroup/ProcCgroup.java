package io.github.libvirthooks.sysfs.cgroup;

import java.util.Optional;

/** {@code /proc/PID/cgroup}: which cgroups a process is in. */
public final class ProcCgroup {
    private ProcCgroup() {
    }

    /** The process's cgroup in the unified (v2) hierarchy, from its {@code 0::/path} line; empty when it has none. */
    public static Optional<String> unified(String procCgroup) {
        return procCgroup.lines().filter(l -> l.startsWith("0::")).map(l -> l.substring(3).strip()).findFirst();
    }
}
