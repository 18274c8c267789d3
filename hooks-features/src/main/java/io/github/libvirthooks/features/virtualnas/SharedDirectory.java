package io.github.libvirthooks.features.virtualnas;

import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The host directory a VM may see, checked: it exists, is a directory, neither it nor what its
 * symbolic links lead to is {@code /} or lies under the host's system trees, and no one but root
 * can swap it for something else (every folder above it is root's and writable by root only).
 *
 * @param hostPath the real path as the host sees it (links resolved)
 * @param local    the same directory on this machine's file system (below the host root in tests)
 */
record SharedDirectory(String hostPath, Path local) {
    /** Trees a guest must never see, even read-only: kernel interfaces, devices, runtime state, boot files, configuration. */
    static final List<String> FORBIDDEN = List.of("/proc", "/sys", "/dev", "/run", "/boot", "/etc");

    /**
     * @throws FeatureException naming the path and what is wrong with it
     */
    static SharedDirectory check(HostRoot host, String path) {
        SmbConf.checkPath(path);
        Path local;
        try {
            local = host.resolve(path);
        } catch (HostAccessException e) {
            throw new FeatureException("virtual-nas path " + path + " is refused: " + e.getMessage(), e);
        }
        if (!Files.isDirectory(local)) {
            throw new FeatureException("virtual-nas path " + path + " is not a directory on the host; create it or fix the path");
        }
        Path real;
        Path realRoot;
        try {
            real = local.toRealPath();
            realRoot = host.root().toRealPath();
        } catch (IOException e) {
            throw new FeatureException("cannot resolve virtual-nas path " + path + ": " + e.getMessage(), e);
        }
        if (!real.startsWith(realRoot)) {
            throw new FeatureException("virtual-nas path " + path + " leads outside the host root through a symbolic link");
        }
        String hostPath = "/" + realRoot.relativize(real).toString();
        for (String forbidden : FORBIDDEN) {
            if (hostPath.equals("/") || hostPath.equals(forbidden) || hostPath.startsWith(forbidden + "/")) {
                throw new FeatureException("virtual-nas path " + path + (hostPath.equals(path) ? "" : " (really " + hostPath + ")")
                        + " is refused: a guest must never see / or anything under " + String.join(", ", FORBIDDEN)
                        + "; serve a directory made for the VM, e.g. /srv/vm-share");
            }
        }
        SmbConf.checkPath(real.toString());
        requireParentsOnlyRootChanges(real, realRoot, path);
        return new SharedDirectory(hostPath, real);
    }

    /**
     * smbd is given the checked path, and opens it when a guest connects, long after this check:
     * whoever can rename entries in a folder above the share could swap it for a link to
     * {@code /etc} in between. So every folder above it, up to the host root, must be owned by the
     * host root's owner (root on a real host) and writable by no one else. The share itself may
     * belong to anyone: its owner can change what is in it, not what it is.
     */
    private static void requireParentsOnlyRootChanges(Path real, Path realRoot, String path) {
        int rootUid = uid(realRoot, path);
        for (Path folder = real.getParent(); folder != null && folder.startsWith(realRoot); folder = folder.getParent()) {
            java.nio.file.attribute.PosixFileAttributes attributes;
            try {
                attributes = Files.readAttributes(folder, java.nio.file.attribute.PosixFileAttributes.class,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS);
            } catch (IOException | UnsupportedOperationException e) {
                throw new FeatureException("cannot check the folders above virtual-nas path " + path + ": " + e.getMessage(), e);
            }
            String shown = "/" + realRoot.relativize(folder);
            boolean othersWrite = attributes.permissions().contains(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE)
                    || attributes.permissions().contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE);
            if (uid(folder, path) != rootUid || othersWrite) {
                throw new FeatureException("virtual-nas path " + path + " is refused: " + shown + " above it "
                        + (othersWrite ? "is writable by group or others" : "is not owned by root") + ", so its owner could swap the"
                        + " share for a link to any host folder while the guest is connected; serve a folder whose parents only"
                        + " root can change, e.g. /srv/vm-share (the share itself may be yours), or chown root / chmod go-w " + shown);
            }
            if (folder.equals(realRoot)) {
                break;
            }
        }
    }

    private static int uid(Path file, String path) {
        try {
            return (Integer) Files.getAttribute(file, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            throw new FeatureException("cannot check the owner of " + file + " for virtual-nas path " + path + ": " + e.getMessage(), e);
        }
    }
}
