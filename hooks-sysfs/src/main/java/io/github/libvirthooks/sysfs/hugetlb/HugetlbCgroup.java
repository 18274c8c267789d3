package io.github.libvirthooks.sysfs.hugetlb;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * The cgroup v2 hugetlb controller files of one cgroup: {@code hugetlb.<size>.max} (the
 * limit, in bytes, or {@code max}) and {@code hugetlb.<size>.current} (the usage, in bytes),
 * with the size spelled as the kernel does ({@code hugetlb.2MB.max}, {@code hugetlb.1GB.max}).
 *
 * <p>The files exist only in non-root cgroups whose parent enables the controller
 * ({@code +hugetlb} in the parent's {@code cgroup.subtree_control}), and only for sizes the
 * kernel offers. A process that faults in a page above the limit gets SIGBUS, so a limit
 * must cover the whole VM.
 */
public final class HugetlbCgroup {
    private static final String UNLIMITED = "max";

    private final HostRoot host;
    private final String cgroupDir;

    /**
     * The hugetlb files of the cgroup at {@code cgroupDir}, an absolute host path such as
     * {@code /sys/fs/cgroup/machine.slice/machine-qemu\x2d1\x2dwin.scope}.
     */
    public HugetlbCgroup(HostRoot host, String cgroupDir) {
        this.host = Objects.requireNonNull(host, "host");
        Objects.requireNonNull(cgroupDir, "cgroupDir");
        if (!cgroupDir.startsWith("/")) {
            throw new IllegalArgumentException("cgroup directory '" + cgroupDir + "' must be an absolute host path");
        }
        String dir = cgroupDir;
        while (dir.length() > 1 && dir.endsWith("/")) {
            dir = dir.substring(0, dir.length() - 1);
        }
        this.cgroupDir = dir;
    }

    /** The cgroup directory, as an absolute host path. */
    public String cgroupDir() {
        return cgroupDir;
    }

    /** The absolute host path of {@code hugetlb.<size>.max}. */
    public String maxPath(HugePageSize size) {
        return file(size, "max");
    }

    /** The absolute host path of {@code hugetlb.<size>.current}. */
    public String currentPath(HugePageSize size) {
        return file(size, "current");
    }

    /** True if this cgroup has hugetlb files for {@code size} (controller enabled, size offered). */
    public boolean isEnabled(HugePageSize size) {
        return host.exists(maxPath(size));
    }

    /**
     * The limit for {@code size}, in bytes; empty when unlimited ({@code max}).
     *
     * @throws HostAccessException if the file is missing or holds neither a number nor {@code max}
     */
    public OptionalLong max(HugePageSize size) {
        String path = requireFile(size, maxPath(size));
        String text = host.read(path).trim();
        if (text.equals(UNLIMITED)) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(parseBytes(path, text));
    }

    /**
     * Limits {@code size} pages to {@code bytes}, a whole number of pages (the kernel would
     * silently round down).
     *
     * @return the change, for undo
     * @throws IllegalArgumentException if {@code bytes} is negative or not a multiple of the page size
     * @throws HostAccessException      if the file is missing or the kernel refuses the value
     */
    public Change setMax(HugePageSize size, long bytes) {
        if (bytes < 0 || bytes % size.bytes() != 0) {
            throw new IllegalArgumentException("invalid hugetlb limit " + bytes + " bytes: must be a whole number of "
                    + size + " pages (a multiple of " + size.bytes() + ")");
        }
        return host.write(requireFile(size, maxPath(size)), Long.toString(bytes));
    }

    /** Limits {@code size} pages to {@code pages} pages. */
    public Change setMaxPages(HugePageSize size, long pages) {
        if (pages < 0) {
            throw new IllegalArgumentException("invalid hugetlb limit of " + pages + " pages: must not be negative");
        }
        return setMax(size, size.bytesOf(pages));
    }

    /** Removes the limit on {@code size} pages (writes {@code max}). */
    public Change setMaxUnlimited(HugePageSize size) {
        return host.write(requireFile(size, maxPath(size)), UNLIMITED);
    }

    /**
     * Bytes of {@code size} pages the cgroup uses now.
     *
     * @throws HostAccessException if the file is missing or not a number
     */
    public long current(HugePageSize size) {
        String path = requireFile(size, currentPath(size));
        return parseBytes(path, host.read(path).trim());
    }

    private String file(HugePageSize size, String suffix) {
        return cgroupDir + "/hugetlb." + size.cgroupName() + "." + suffix;
    }

    private String requireFile(HugePageSize size, String path) {
        if (!host.exists(path)) {
            if (!host.isDirectory(cgroupDir)) {
                throw new HostAccessException(path, "hugetlb cgroup: no cgroup " + cgroupDir);
            }
            throw new HugePagesUnsupportedException(path, "hugetlb cgroup: " + path + " does not exist: the hugetlb controller"
                    + " is not enabled for " + cgroupDir + " (add +hugetlb to its parent's cgroup.subtree_control),"
                    + " it is the root cgroup, or the kernel offers no " + size + " pages");
        }
        return path;
    }

    private static long parseBytes(String path, String text) {
        try {
            long value = Long.parseLong(text);
            if (value >= 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new HostAccessException(path, path + ": expected a number of bytes or 'max', found '"
                + (text.length() <= 80 ? text : text.substring(0, 77) + "...") + "'");
    }
}
