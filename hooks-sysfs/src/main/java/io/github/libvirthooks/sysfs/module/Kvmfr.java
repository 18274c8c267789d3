package io.github.libvirthooks.sysfs.module;

import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Looking Glass's {@code kvmfr} module: loaded with {@code static_size_mb=32,...} it makes
 * one {@code /dev/kvmfrN} per size, memory QEMU maps for the guest's IVSHMEM device and the
 * client imports as a dmabuf. Upstream declares {@code static_size_mb} with mode 0000, so
 * {@code /sys/module/kvmfr/parameters/static_size_mb} is usually absent: then only the loader
 * knows the sizes.
 */
public final class Kvmfr {
    public static final String MODULE = "kvmfr";
    public static final String STATIC_SIZE_MB = "static_size_mb";
    /** The module's limit on devices. */
    public static final int MAX_DEVICES = 10;

    private final HostRoot host;

    public Kvmfr(HostRoot host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    /** The device node of device {@code index}. */
    public static String device(int index) {
        if (index < 0 || index >= MAX_DEVICES) {
            throw new IllegalArgumentException("kvmfr has devices 0 to " + (MAX_DEVICES - 1) + ", not " + index);
        }
        return "/dev/kvmfr" + index;
    }

    /** The index of a device path {@code /dev/kvmfrN}; empty for any other path. */
    public static Optional<Integer> index(String device) {
        if (device == null || !device.matches("/dev/kvmfr[0-9]")) {
            return Optional.empty();
        }
        return Optional.of(device.charAt(device.length() - 1) - '0');
    }

    public boolean isLoaded() {
        return new KernelModules(host).isLoaded(MODULE);
    }

    /** The MiB of each static device, as the module shows them; empty when it does not show them. */
    public Optional<List<Long>> staticSizesMb() {
        return new ModuleParameters(host, MODULE).numbers(STATIC_SIZE_MB);
    }

    /**
     * {@code modprobe kvmfr static_size_mb=<sizeMb>}: one device, {@code /dev/kvmfr0}.
     *
     * @return false when the runner only recorded the command (a dry run)
     */
    public boolean load(CommandRunner commands, long sizeMb, Duration limit) {
        if (sizeMb < 1 || sizeMb > 1 << 20) {
            throw new IllegalArgumentException("invalid kvmfr size " + sizeMb + " MiB");
        }
        return commands.run(List.of("modprobe", MODULE, STATIC_SIZE_MB + "=" + sizeMb), limit).orThrow().performed();
    }

    /** {@code modprobe -r kvmfr}. */
    public void unload(CommandRunner commands, Duration limit) {
        new KernelModules(host).unload(commands, MODULE, limit);
    }
}
