package io.github.libvirthooks.sysfs.cgroup;

/**
 * Which cgroup hierarchies a host has mounted, as told apart from
 * {@code /proc/self/mountinfo} by {@link CgroupMounts#version()}.
 */
public enum CgroupVersion {
    /**
     * Pure unified hierarchy: a cgroup2 mount (normally at {@code /sys/fs/cgroup}) and no
     * cgroup v1 controller hierarchy. Every controller is available through cgroup v2.
     */
    V2,
    /**
     * Hybrid: cgroup v1 controller hierarchies plus a cgroup2 mount (systemd puts it at
     * {@code /sys/fs/cgroup/unified}). Controllers bound to v1 are not available in the
     * cgroup2 tree, which then usually offers none.
     */
    HYBRID,
    /** Only cgroup v1 hierarchies, no cgroup2 mount. */
    V1,
    /** No cgroup file system mounted at all. */
    NONE;
}
