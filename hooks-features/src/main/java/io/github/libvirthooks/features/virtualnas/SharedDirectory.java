package io.github.libvirthooks.features.virtualnas;

import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The host directory a VM may see, checked: it exists, is a directory, and neither it nor what
 * its symbolic links lead to is {@code /} or lies under the host's system trees.
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
        return new SharedDirectory(hostPath, real);
    }
}
