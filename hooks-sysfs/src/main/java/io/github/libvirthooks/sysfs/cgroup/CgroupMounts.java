package io.github.libvirthooks.sysfs.cgroup;

import io.github.libvirthooks.sysfs.HostRoot;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The cgroup hierarchies mounted on a host, read from {@code /proc/self/mountinfo}: the
 * cgroup2 (unified) mount, the cgroup v1 mounts, and from both the {@link CgroupVersion}.
 */
public final class CgroupMounts {
    /** Where systemd mounts the unified hierarchy on a pure cgroup v2 host. */
    public static final String UNIFIED_MOUNT_POINT = "/sys/fs/cgroup";
    /** Where systemd mounts the unified hierarchy on a hybrid host. */
    public static final String HYBRID_UNIFIED_MOUNT_POINT = "/sys/fs/cgroup/unified";

    /**
     * The cgroup v1 controllers the kernel knows; a v1 mount whose super options name none
     * of them is a named hierarchy ({@code name=systemd}) that controls nothing.
     */
    private static final Set<String> V1_CONTROLLERS = Set.of(
            "cpuset", "cpu", "cpuacct", "blkio", "io", "memory", "devices", "freezer", "net_cls",
            "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc", "debug");

    private final Mountinfo mountinfo;

    private CgroupMounts(Mountinfo mountinfo) {
        this.mountinfo = Objects.requireNonNull(mountinfo, "mountinfo");
    }

    /** Reads the mount table of {@code host} ({@code /proc/self/mountinfo}). */
    public static CgroupMounts read(HostRoot host) {
        return new CgroupMounts(Mountinfo.read(host));
    }

    /** The cgroup mounts of an already parsed mount table. */
    public static CgroupMounts of(Mountinfo mountinfo) {
        return new CgroupMounts(mountinfo);
    }

    /**
     * The cgroup2 mount. When there are several (bind mounts, containers), the one at
     * {@value #UNIFIED_MOUNT_POINT} wins, then {@value #HYBRID_UNIFIED_MOUNT_POINT}, then
     * the first one that mounts the hierarchy's root, then the first one.
     */
    public Optional<MountinfoEntry> unifiedMount() {
        List<MountinfoEntry> unified = mountinfo.ofType("cgroup2");
        return unified.stream().min(Comparator.comparingInt(CgroupMounts::preference));
    }

    /** Where the cgroup2 hierarchy is mounted ({@code /sys/fs/cgroup}), if it is. */
    public Optional<String> unifiedMountPoint() {
        return unifiedMount().map(MountinfoEntry::mountPoint);
    }

    /** The cgroup v1 mounts, controller and named hierarchies alike, in mount order. */
    public List<MountinfoEntry> v1Mounts() {
        return mountinfo.ofType("cgroup");
    }

    /** The controllers bound to cgroup v1 hierarchies ({@code cpuset}, {@code memory}, ...). */
    public Set<String> v1Controllers() {
        Set<String> controllers = new LinkedHashSet<>();
        for (MountinfoEntry mount : v1Mounts()) {
            for (String option : mount.superOptionList()) {
                if (V1_CONTROLLERS.contains(option)) {
                    controllers.add(option);
                }
            }
        }
        return controllers;
    }

    /**
     * Tells the layouts apart: {@link CgroupVersion#V2} with a cgroup2 mount and no v1
     * controller, {@link CgroupVersion#HYBRID} with both, {@link CgroupVersion#V1} with v1
     * mounts only, {@link CgroupVersion#NONE} without any. A v1 named hierarchy alone
     * ({@code name=systemd}, kept by some hosts for old containers) does not make a v2 host
     * hybrid, because it controls no resource.
     */
    public CgroupVersion version() {
        boolean unified = unifiedMount().isPresent();
        if (unified) {
            return v1Controllers().isEmpty() ? CgroupVersion.V2 : CgroupVersion.HYBRID;
        }
        return v1Mounts().isEmpty() ? CgroupVersion.NONE : CgroupVersion.V1;
    }

    /**
     * The root of the unified hierarchy on {@code host}.
     *
     * @throws CgroupException when no cgroup2 file system is mounted, saying how to get one
     */
    public Cgroup unifiedRoot(HostRoot host) {
        Optional<String> mountPoint = unifiedMountPoint();
        if (mountPoint.isEmpty()) {
            CgroupVersion version = version();
            String what = version == CgroupVersion.V1
                    ? "this host mounts only cgroup v1 hierarchies"
                    : "this host mounts no cgroup file system at all";
            throw new CgroupException(Mountinfo.PATH, "cgroup v2 is not available: " + what
                    + " (no cgroup2 entry in " + Mountinfo.PATH + "); boot with systemd.unified_cgroup_hierarchy=1"
                    + " or mount it with 'mount -t cgroup2 none " + UNIFIED_MOUNT_POINT + "'");
        }
        return Cgroup.root(host, mountPoint.get());
    }

    private static int preference(MountinfoEntry mount) {
        if (mount.mountPoint().equals(UNIFIED_MOUNT_POINT)) {
            return 0;
        }
        if (mount.mountPoint().equals(HYBRID_UNIFIED_MOUNT_POINT)) {
            return 1;
        }
        return mount.root().equals("/") ? 2 : 3;
    }
}
