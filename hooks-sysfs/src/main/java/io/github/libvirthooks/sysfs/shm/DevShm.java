package io.github.libvirthooks.sysfs.shm;

import java.util.regex.Pattern;

/**
 * The POSIX shared memory directory, {@code /dev/shm} (a tmpfs, world-writable and sticky):
 * where QEMU's {@code memory-backend-file} of a libvirt {@code <shmem>} device lives and the
 * Looking Glass client maps it. Files there are made with {@code HostRoot.createSharedFile},
 * which neither follows nor replaces what another user planted.
 */
public final class DevShm {
    public static final String DIR = "/dev/shm";
    /** A file name of its own: no '/', no leading dot, nothing a shell or libvirt would read twice. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}");

    private DevShm() {
    }

    /** True when {@code name} is a plain file name for {@code /dev/shm}. */
    public static boolean isName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** The host path of {@code name}. */
    public static String path(String name) {
        if (!isName(name)) {
            throw new IllegalArgumentException("invalid /dev/shm file name '" + name + "'");
        }
        return DIR + "/" + name;
    }
}
