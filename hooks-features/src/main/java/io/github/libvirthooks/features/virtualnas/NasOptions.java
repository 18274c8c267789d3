package io.github.libvirthooks.features.virtualnas;

import io.github.libvirthooks.features.config.Durations;
import io.github.libvirthooks.features.engine.FeatureException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The options of {@code virtual-nas}, checked before anything changes. The directory itself
 * and the network are checked against the host by {@link SharedDirectory} and {@link LibvirtNetwork}.
 *
 * @param path     the host directory to serve, as the user wrote it
 * @param network  the libvirt network to serve it on; empty: the VM's only {@code <interface type='network'>}
 * @param readOnly true unless {@code mode="rw"}
 * @param smb1     true to allow SMB1 (NT1) and NTLMv1, for legacy guests such as Windows XP
 * @param share    the share name the guest sees ({@code \\192.168.122.1\share})
 * @param user     the host user files are read and written as
 * @param timeout  how long to wait for the server to listen
 */
record NasOptions(String path, Optional<String> network, boolean readOnly, boolean smb1, String share, String user,
        Duration timeout) {

    static final List<String> NAMES = List.copyOf(VirtualNasFeature.SPEC.optionNames());
    static final String DEFAULT_SHARE = "share";
    static final String DEFAULT_USER = "nobody";
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /** Parses and checks the options, naming the bad key, its value and what is allowed. */
    static NasOptions parse(Map<String, String> options) {
        List<String> unknown = new ArrayList<>(options.keySet());
        unknown.removeAll(Set.copyOf(NAMES));
        if (!unknown.isEmpty()) {
            throw new FeatureException("unknown option '" + unknown.get(0) + "'; virtual-nas takes: " + String.join(", ", NAMES));
        }
        String path = options.get("path");
        if (path == null || path.isBlank()) {
            throw new FeatureException("virtual-nas needs path: the host directory to serve, e.g. path=\"/srv/vm-share\"");
        }
        SmbConf.checkPath(path);
        Optional<String> network = Optional.ofNullable(options.get("network"));
        network.ifPresent(LibvirtNetwork::checkName);
        String protocol = options.getOrDefault("protocol", "smb");
        if (!protocol.equals("smb")) {
            throw new FeatureException("invalid virtual-nas protocol '" + protocol + "': this version serves smb only");
        }
        boolean readOnly = readOnly(options);
        boolean smb1 = bool(options, "smb1", false);
        String share = options.getOrDefault("share", DEFAULT_SHARE);
        SmbConf.checkShareName(share);
        String user = options.getOrDefault("user", DEFAULT_USER);
        if (!user.matches("[a-z_][a-z0-9_-]{0,31}") || user.equals("root")) {
            throw new FeatureException("invalid virtual-nas user '" + user + "': an existing host user other than root"
                    + " (files are read and written as this user), e.g. nobody");
        }
        return new NasOptions(path, network, readOnly, smb1, share, user, timeout(options));
    }

    private static boolean readOnly(Map<String, String> options) {
        Optional<Boolean> byMode = Optional.ofNullable(options.get("mode")).map(mode -> switch (mode) {
            case "ro" -> true;
            case "rw" -> false;
            default -> throw new FeatureException("invalid virtual-nas mode '" + mode + "': use ro (read only, the default) or rw");
        });
        Optional<Boolean> byFlag = options.containsKey("readonly") ? Optional.of(bool(options, "readonly", true)) : Optional.empty();
        if (byMode.isPresent() && byFlag.isPresent() && !byMode.equals(byFlag)) {
            throw new FeatureException("virtual-nas mode='" + options.get("mode") + "' contradicts readonly='" + options.get("readonly")
                    + "'; give one of them");
        }
        return byMode.or(() -> byFlag).orElse(true);
    }

    private static boolean bool(Map<String, String> options, String name, boolean fallback) {
        String value = options.get(name);
        if (value == null) {
            return fallback;
        }
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new FeatureException("invalid virtual-nas " + name + " '" + value + "': use true or false");
        };
    }

    private static Duration timeout(Map<String, String> options) {
        String text = options.get("timeout");
        if (text == null) {
            return DEFAULT_TIMEOUT;
        }
        return Durations.option("virtual-nas timeout", text, Duration.ofSeconds(1), Duration.ofSeconds(999), "");
    }
}
