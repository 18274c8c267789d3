package io.github.libvirthooks.sysfs.cgroup;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One line of {@code /proc/<pid>/mountinfo} (see proc(5)), with the kernel's octal escapes
 * ({@code \040} for a space, {@code \011}, {@code \012}, {@code \134}) already decoded.
 *
 * @param mountId        unique id of the mount
 * @param parentId       id of the parent mount
 * @param majorMinor     {@code st_dev} of the file system, as {@code major:minor}
 * @param root           path inside the file system that is mounted here
 * @param mountPoint     where it is mounted, relative to the process's root
 * @param mountOptions   per-mount options ({@code rw,nosuid,relatime})
 * @param optionalFields tagged fields before the {@code -} separator ({@code shared:5},
 *                       {@code master:1}), possibly none
 * @param fsType         file system type ({@code cgroup2}, {@code cgroup}, {@code fuse.sshfs})
 * @param source         mount source ({@code /dev/vda1}, {@code cgroup2}, {@code none})
 * @param superOptions   per-superblock options; for cgroup v1 they name the controllers
 *                       ({@code rw,cpu,cpuacct})
 */
public record MountinfoEntry(
        int mountId,
        int parentId,
        String majorMinor,
        String root,
        String mountPoint,
        String mountOptions,
        List<String> optionalFields,
        String fsType,
        String source,
        String superOptions) {

    /** Rejects null fields and copies {@code optionalFields} so the record stays immutable. */
    public MountinfoEntry {
        Objects.requireNonNull(majorMinor, "majorMinor");
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(mountPoint, "mountPoint");
        Objects.requireNonNull(mountOptions, "mountOptions");
        optionalFields = List.copyOf(optionalFields);
        Objects.requireNonNull(fsType, "fsType");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(superOptions, "superOptions");
    }

    /** The super options one by one ({@code [rw, cpu, cpuacct]}); empty if there are none. */
    public List<String> superOptionList() {
        return superOptions.isEmpty() ? List.of() : Arrays.asList(superOptions.split(","));
    }
}
