package io.github.libvirthooks.features.virtualnas;

import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.engine.FeatureException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A VM's private smbd: what it serves, where, and how to stop it.
 *
 * @param network    the libvirt network the share is offered on
 * @param address    the host's address on that network, the only one smbd listens on
 * @param share      the share's name
 * @param path       the host directory served, as the user gave it
 * @param readOnly   whether the guest may only read
 * @param smb1       whether SMB1 is allowed
 * @param supervisor what keeps smbd running, and so how it is stopped
 * @param runDir     the server's own directory, {@code /run/libvirt-hooks/nas/<safe name>}, removed at release
 * @param unit       the transient unit smbd runs in, under systemd
 * @param pid        smbd's process id once it started (0 in a dry run, where nothing starts)
 */
public record VirtualNasClaim(String network, Ipv4 address, String share, String path, boolean readOnly, boolean smb1,
        SmbServer.Supervisor supervisor, String runDir, Optional<String> unit, OptionalLong pid) {
    /** The claim's one resource: a VM runs one server. */
    static final String RESOURCE = "smbd";
    /** A run directory release may remove: one plain name under {@link VirtualNasFeature#RUN_DIR}, never a path that escapes it. */
    private static final Pattern RUN_DIR = Pattern.compile(Pattern.quote(VirtualNasFeature.RUN_DIR) + "/[A-Za-z0-9_-]{1,80}");

    /** How this claim is kept in the journal. */
    public static final ClaimCodec<VirtualNasClaim> CODEC = new Codec();

    public VirtualNasClaim {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(share, "share");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(supervisor, "supervisor");
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(pid, "pid");
        if (!RUN_DIR.matcher(runDir).matches()) {
            throw new IllegalArgumentException("claim value run-dir='" + SmbConf.printable(runDir) + "' is not under "
                    + VirtualNasFeature.RUN_DIR);
        }
    }

    /** This claim once smbd runs as {@code started}. */
    VirtualNasClaim started(long started) {
        return new VirtualNasClaim(network, address, share, path, readOnly, smb1, supervisor, runDir, unit, OptionalLong.of(started));
    }

    /**
     * Journal keys, as 0.1.0 writes them: {@code network}, {@code address}, {@code share},
     * {@code path}, {@code mode} ({@code ro} or {@code rw}), {@code smb1} ({@code true} or
     * {@code false}), {@code supervisor} ({@code systemd} or {@code process}), {@code run-dir},
     * under systemd {@code unit}, and once started {@code pid}.
     */
    private static final class Codec implements ClaimCodec<VirtualNasClaim> {
        @Override
        public String feature() {
            return VirtualNasFeature.NAME;
        }

        @Override
        public String resource(VirtualNasClaim claim) {
            return RESOURCE;
        }

        @Override
        public Map<String, String> encode(VirtualNasClaim claim) {
            Map<String, String> values = new TreeMap<>();
            values.put("network", claim.network());
            values.put("address", claim.address().toString());
            values.put("share", claim.share());
            values.put("path", claim.path());
            values.put("mode", claim.readOnly() ? "ro" : "rw");
            values.put("smb1", Boolean.toString(claim.smb1()));
            values.put("supervisor", claim.supervisor().word());
            values.put("run-dir", claim.runDir());
            claim.unit().ifPresent(u -> values.put("unit", u));
            claim.pid().ifPresent(p -> values.put("pid", Long.toString(p)));
            return values;
        }

        @Override
        public VirtualNasClaim decode(String resource, Map<String, String> values) {
            if (!resource.equals(RESOURCE)) {
                throw new IllegalArgumentException("claim resource '" + SmbConf.printable(resource) + "' is not " + RESOURCE);
            }
            String address = ClaimCodec.required(values, "address");
            Ipv4 ip;
            try {
                ip = Ipv4.parse(address);
            } catch (FeatureException e) {
                throw new IllegalArgumentException("claim value address='" + SmbConf.printable(address) + "' is not an IPv4 address", e);
            }
            OptionalLong pid = OptionalLong.empty();
            if (values.containsKey("pid")) {
                long p = ClaimCodec.number(values, "pid");
                if (p < 0) {
                    throw new IllegalArgumentException("claim value pid='" + p + "' is no process id");
                }
                pid = OptionalLong.of(p);
            }
            return new VirtualNasClaim(ClaimCodec.required(values, "network"), ip, ClaimCodec.required(values, "share"),
                    ClaimCodec.required(values, "path"), choice(values, "mode", "ro", "rw"), choice(values, "smb1", "true", "false"),
                    supervisor(values), ClaimCodec.required(values, "run-dir"), Optional.ofNullable(values.get("unit")), pid);
        }

        @Override
        public Map<String, String> describe(VirtualNasClaim claim) {
            Map<String, String> shown = new LinkedHashMap<>();
            shown.put("share", "\\\\" + claim.address() + "\\" + claim.share());
            shown.put("path", claim.path());
            shown.put("network", claim.network());
            shown.put("mode", claim.readOnly() ? "ro" : "rw");
            shown.put("smb1", Boolean.toString(claim.smb1()));
            claim.unit().ifPresent(u -> shown.put("unit", u));
            claim.pid().ifPresent(p -> shown.put("smbd pid", Long.toString(p)));
            return shown;
        }

        /** True for {@code yes}, false for {@code no}, else a clear error. */
        private static boolean choice(Map<String, String> values, String name, String yes, String no) {
            String v = ClaimCodec.required(values, name);
            if (!v.equals(yes) && !v.equals(no)) {
                throw new IllegalArgumentException("claim value " + name + "='" + SmbConf.printable(v) + "' is neither " + yes + " nor " + no);
            }
            return v.equals(yes);
        }

        private static SmbServer.Supervisor supervisor(Map<String, String> values) {
            String word = ClaimCodec.required(values, "supervisor");
            for (SmbServer.Supervisor s : SmbServer.Supervisor.values()) {
                if (s.word().equals(word)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("claim value supervisor='" + SmbConf.printable(word) + "' is neither systemd nor process");
        }
    }
}
