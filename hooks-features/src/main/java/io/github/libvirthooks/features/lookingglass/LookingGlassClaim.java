package io.github.libvirthooks.features.lookingglass;

import io.github.libvirthooks.sysfs.module.Kvmfr;
import io.github.libvirthooks.sysfs.shm.DevShm;
import java.time.Duration;

/**
 * What looking-glass took from the host, recorded before it is taken. Every value is checked
 * again when read back: a planted journal must not turn the undo into "remove any file" or
 * "chown any path".
 */
sealed interface LookingGlassClaim {
    /** The journal key. */
    String resource();

    /**
     * A file in {@code /dev/shm} this VM creates: removed at release, if it is still the one made.
     *
     * @param name    its name in {@code /dev/shm}
     * @param size    its size in bytes
     * @param uid     the owner it was given
     * @param gid     the group it was given
     * @param created false until the file exists (a run that stopped in between may or may not have made it)
     * @param inode   its inode once made ({@code -1} before, or in a dry run)
     */
    record ShmFile(String name, long size, int uid, int gid, boolean created, long inode) implements LookingGlassClaim {
        public ShmFile {
            require(DevShm.isName(name), "name '" + name + "'");
            require(size > 0 && size <= LookingGlassOptions.MAX_MIB * FrameSize.MIB, "size " + size);
            require(uid >= 0 && gid >= 0, "owner " + uid + ":" + gid);
            require(inode >= -1, "inode " + inode);
        }

        String path() {
            return DevShm.path(name);
        }

        @Override
        public String resource() {
            return "shm " + name;
        }
    }

    /**
     * This VM uses the kvmfr module: kept loaded for it, unloaded by the last VM using it if
     * libvirt-hooks loaded it.
     *
     * @param sizeMb        the MiB this VM needs
     * @param loadedByHooks true when a VM's hook loaded it (this one, or one before that still used it then)
     * @param timeout       the limit on {@code modprobe -r}
     */
    record KvmfrModule(long sizeMb, boolean loadedByHooks, Duration timeout) implements LookingGlassClaim {
        public KvmfrModule {
            require(sizeMb >= 1 && sizeMb <= LookingGlassOptions.MAX_MIB, "size " + sizeMb + " MiB");
            require(!timeout.isNegative() && timeout.compareTo(Duration.ofMinutes(10)) <= 0, "timeout " + timeout);
        }

        @Override
        public String resource() {
            return "kvmfr";
        }
    }

    /**
     * A kvmfr device's owner, group and mode before this VM gave it to the user: put back at release.
     *
     * @param device {@code /dev/kvmfrN}
     */
    record DeviceOwner(String device, int uid, int gid, int mode) implements LookingGlassClaim {
        public DeviceOwner {
            require(Kvmfr.index(device).isPresent(), "device '" + device + "'");
            require(uid >= 0 && gid >= 0 && mode >= 0 && mode <= 07777, "owner " + uid + ":" + gid + " " + mode);
        }

        @Override
        public String resource() {
            return "owner " + device;
        }
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("invalid " + what);
        }
    }
}
