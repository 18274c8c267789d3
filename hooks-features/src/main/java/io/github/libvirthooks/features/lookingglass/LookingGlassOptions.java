package io.github.libvirthooks.features.lookingglass;

import io.github.libvirthooks.features.config.Durations;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.account.LocalAccounts;
import io.github.libvirthooks.sysfs.module.Kvmfr;
import io.github.libvirthooks.sysfs.shm.DevShm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The options of {@code looking-glass}, checked before anything changes.
 *
 * @param mode       where the memory lives: a file in {@code /dev/shm} or a {@code kvmfr} device
 * @param name       the {@code <shmem name>} and the file's name in {@code /dev/shm}
 * @param size       the size in bytes when set; else the VM's {@code <shmem>} says it, else the resolution's minimum
 * @param resolution the largest resolution the guest will show
 * @param user       the desktop user who runs the Looking Glass client (required)
 * @param group      the group QEMU runs in; empty: {@code kvm}, else {@code libvirt-qemu}
 * @param device     the kvmfr device ({@code /dev/kvmfr0})
 * @param timeout    the limit on each {@code modprobe}
 */
record LookingGlassOptions(Mode mode, String name, OptionalLong size, FrameSize resolution, String user, Optional<String> group,
        String device, Duration timeout) {
    static final String DEFAULT_NAME = "looking-glass";
    static final String DEFAULT_RESOLUTION = "1920x1080";
    static final String DEFAULT_DEVICE = "/dev/kvmfr0";
    static final long MAX_MIB = 1L << 16;

    /** Where the shared memory lives. */
    enum Mode { SHM, KVMFR }

    static LookingGlassOptions parse(Map<String, String> options) {
        List<String> unknown = new ArrayList<>(options.keySet());
        unknown.removeAll(LookingGlassFeature.SPEC.optionNames());
        if (!unknown.isEmpty()) {
            throw new FeatureException("unknown option '" + abbreviate(unknown.get(0)) + "' for looking-glass; it takes: "
                    + String.join(", ", LookingGlassFeature.SPEC.optionNames()));
        }
        String modeText = options.getOrDefault("mode", "shm").strip().toLowerCase(Locale.ROOT);
        Mode mode = switch (modeText) {
            case "shm" -> Mode.SHM;
            case "kvmfr" -> Mode.KVMFR;
            default -> throw new FeatureException("invalid looking-glass mode '" + abbreviate(modeText) + "': shm or kvmfr");
        };
        String name = options.getOrDefault("name", DEFAULT_NAME).strip();
        if (!DevShm.isName(name)) {
            throw new FeatureException("invalid looking-glass name '" + abbreviate(name) + "': a plain file name for /dev/shm"
                    + " (letters, digits, '_', '.', '+', '-'; no '/', not starting with a dot), such as looking-glass");
        }
        OptionalLong size = options.containsKey("size") ? OptionalLong.of(size(options.get("size"))) : OptionalLong.empty();
        FrameSize resolution;
        try {
            resolution = FrameSize.parse(options.getOrDefault("resolution", DEFAULT_RESOLUTION));
        } catch (IllegalArgumentException e) {
            throw new FeatureException("invalid looking-glass resolution '" + abbreviate(options.get("resolution")) + "': "
                    + e.getMessage());
        }
        String user = options.getOrDefault("user", "").strip();
        if (user.isEmpty()) {
            throw new FeatureException("looking-glass needs user='...': the desktop user who runs the Looking Glass client"
                    + " (the shared memory is made theirs)");
        }
        if (!LocalAccounts.isAccount(user)) {
            throw new FeatureException("invalid looking-glass user '" + abbreviate(user) + "': a user name or uid");
        }
        Optional<String> group = Optional.ofNullable(options.get("group")).map(String::strip);
        if (group.isPresent() && !LocalAccounts.isAccount(group.get())) {
            throw new FeatureException("invalid looking-glass group '" + abbreviate(group.get()) + "': a group name or gid");
        }
        String device = options.getOrDefault("device", DEFAULT_DEVICE).strip();
        if (Kvmfr.index(device).isEmpty()) {
            throw new FeatureException("invalid looking-glass device '" + abbreviate(device) + "': /dev/kvmfr0 to /dev/kvmfr9");
        }
        Duration timeout = Durations.option("looking-glass timeout", options.getOrDefault("timeout", "10s"), Duration.ofSeconds(1),
                Duration.ofMinutes(10), "");
        return new LookingGlassOptions(mode, name, size, resolution, user, group, device, timeout);
    }

    /** {@code 32M}, {@code 32MiB}, {@code 1G}; a bare number is MiB. Whole MiB only. */
    static long size(String text) {
        String t = text.strip();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]{1,6})\\s*(M|MiB|G|GiB)?").matcher(t);
        if (!m.matches()) {
            throw new FeatureException("invalid looking-glass size '" + abbreviate(t) + "': MiB, such as 32M, 64MiB or 1G");
        }
        long n = Long.parseLong(m.group(1));
        long mib = m.group(2) != null && m.group(2).startsWith("G") ? n * 1024 : n;
        if (mib < 1 || mib > MAX_MIB) {
            throw new FeatureException("invalid looking-glass size '" + abbreviate(t) + "': from 1M to " + MAX_MIB + "M");
        }
        return mib * FrameSize.MIB;
    }

    static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        s.codePoints().limit(60).forEach(c -> out.appendCodePoint(c < 0x20 || c == 0x7f ? '?' : c));
        return s.length() > 60 ? out + "..." : out.toString();
    }
}
