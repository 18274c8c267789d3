package io.github.libvirthooks.features.virtualnas;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.engine.ClaimingFeature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.FeatureSpec;
import io.github.libvirthooks.features.engine.SpecifiedFeature;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code virtual-nas}: before QEMU starts, serve one host directory to the VM over SMB, only on
 * the host's address on a libvirt virtual network the VM is attached to; at release, stop the
 * server. For guests that must not touch host storage directly: untrusted ones, or legacy
 * ones such as Windows XP (SMB1 only when asked for).
 *
 * <p>Each VM gets a private {@code smbd} with a generated configuration under
 * {@code /run/libvirt-hooks/nas/<vm>/}: bound to the network's host address only, open to that
 * network's subnet only, guest access as an unprivileged user, read-only unless {@code mode="rw"}.
 * It runs as a transient systemd service where systemd runs, else as a tracked daemon. The claim
 * (resource {@code smbd}) is recorded before anything starts, so release and {@code restore}
 * stop it even after a crash.
 */
public final class VirtualNasFeature implements ClaimingFeature<VirtualNasClaim>, SpecifiedFeature {
    public static final String NAME = "virtual-nas";
    /** What this feature is: its events and options (the README's table is checked against it). */
    public static final FeatureSpec SPEC = FeatureSpec.named(NAME, "serve a host directory to the guest over a virtual network only")
            .at(HookOperation.PREPARE)
            .option("path", "(required)")
            .option("network", "the VM's only `<interface type='network'>`")
            .option("mode", "`ro`")
            .alias("readonly")
            .option("share", "`share`")
            .option("user", "`nobody`")
            .option("smb1", "`false`")
            .option("protocol", "`smb`")
            .option("timeout", "`10s`")
            .build();
    /** Where each VM's server keeps its configuration and state (tmpfs, like the journal). */
    static final String RUN_DIR = "/run/libvirt-hooks/nas";
    /** Exists when systemd runs as PID 1 (sd_booted). */
    static final String SYSTEMD_RUNTIME = "/run/systemd/system";
    /** Looked in after the hook's PATH: smbd lives in sbin, which a minimal PATH may lack. */
    static final String FALLBACK_PATH = "/usr/local/sbin:/usr/sbin:/sbin";

    private final String searchPath;
    private final List<String> wrapper;
    private final ProcessTable processes;

    /** Finds {@code smbd} on the hook's {@code PATH} and runs it on this host. */
    public VirtualNasFeature() {
        this(System.getenv("PATH"), List.of(), ProcessTable.system());
    }

    /**
     * Runs smbd under {@code wrapper}, for example {@code ip netns exec NS} to serve inside a test's
     * network namespace.
     */
    public VirtualNasFeature(List<String> wrapper) {
        this(System.getenv("PATH"), wrapper, ProcessTable.system());
    }

    VirtualNasFeature(String searchPath, List<String> wrapper, ProcessTable processes) {
        this.searchPath = searchPath == null ? "" : searchPath;
        this.wrapper = List.copyOf(wrapper);
        this.processes = processes;
    }

    @Override
    public FeatureSpec spec() {
        return SPEC;
    }

    @Override
    public ClaimCodec<VirtualNasClaim> claimCodec() {
        return VirtualNasClaim.CODEC;
    }

    @Override
    public void apply(FeatureContext context) {
        NasOptions options = NasOptions.parse(context.options());
        Domain domain = context.domain();
        HostRoot host = context.claimedHost();
        String networkName = networkName(domain, options);
        LibvirtNetwork network = LibvirtNetwork.read(host, networkName);
        SharedDirectory dir = SharedDirectory.check(host, options.path());
        checkUser(host, options.user());
        refuseSecondServer(context, network);
        Path smbd = find(searchPath, "smbd").orElseThrow(() -> new FeatureException("smbd is not installed: apt-get install samba"
                + " (the host's own Samba service may stay disabled; each VM gets a private smbd), or remove <virtual-nas>"));
        if (!network.live()) {
            context.report().accept("info   virtual-nas: libvirt network " + networkName + " has no live status in "
                    + LibvirtNetwork.STATUS_DIR + "; using its definition");
        }
        if (network.forwards()) {
            context.report().accept("warn   virtual-nas: " + forwardWarning(network));
        }
        String safe = safeName(domain.name());
        String runDir = RUN_DIR + "/" + safe;
        Path localRun = host.resolve(runDir);
        Path config = localRun.resolve("smb.conf");
        SmbServer server = new SmbServer(context.commands(), processes, wrapper);
        boolean systemd = wrapper.isEmpty() && host.exists(SYSTEMD_RUNTIME);
        SmbServer.Supervisor supervisor = systemd ? SmbServer.Supervisor.SYSTEMD : SmbServer.Supervisor.PROCESS;
        String unit = "libvirt-hooks-nas-" + safe + ".service";
        // A server left over from a crash before the journal was written: stop it, its directory is rewritten. Only this
        // VM's own: the directory's owner record says whose it is.
        requireOwnedBy(host, runDir, domain.name());
        server.stop(systemd ? Optional.of(unit) : Optional.empty(), config);

        SmbConf conf = new SmbConf(localRun.toString(), network.address(), network.prefix(), options.share(),
                dir.local().toString(), options.readOnly(), options.smb1(), options.user());
        VirtualNasClaim claim = new VirtualNasClaim(network.name(), network.address(), options.share(), dir.hostPath(),
                options.readOnly(), options.smb1(), supervisor, runDir, systemd ? Optional.of(unit) : Optional.empty(),
                OptionalLong.empty());
        // Recorded before the server starts: release stops it whatever happens next.
        context.claim(VirtualNasClaim.CODEC, claim);
        writeRunDirectory(host, runDir, conf, domain.name());
        long pid = server.start(supervisor, smbd, unit, config, conf, localRun, options.timeout());
        context.updateClaim(VirtualNasClaim.CODEC, claim.started(pid));
        context.report().accept("start  virtual-nas: \\\\" + network.address() + "\\" + options.share() + " serves " + dir.hostPath()
                + (options.readOnly() ? " read-only" : " read-write") + " to " + domain.name() + " on network " + network.name()
                + " (smbd pid " + pid + (systemd ? ", unit " + unit : "") + (options.smb1() ? ", SMB1 allowed" : "") + ")");
    }

    @Override
    public void undo(VirtualNasClaim claim, FeatureContext context) {
        String runDir = claim.runDir();
        Path localRun = context.claimedHost().resolve(runDir);
        requireOwnedBy(context.claimedHost(), runDir, context.invocation().vmName());
        new SmbServer(context.commands(), processes, wrapper).stop(claim.unit(), localRun.resolve("smb.conf"));
        context.claimedHost().removeTree(runDir);
        context.report().accept("undo   virtual-nas: stopped the share \\\\" + claim.address() + "\\" + claim.share() + " of "
                + claim.path());
    }

    /** The network the share is offered on: the option, else the VM's only libvirt network. */
    private static String networkName(Domain domain, NasOptions options) {
        if (options.network().isPresent()) {
            String name = options.network().get();
            if (!domain.networks().contains(name)) {
                throw new FeatureException(domain.name() + " has no <interface type='network'> on libvirt network '" + name
                        + "'; the share is only offered there: add one, or name one of " + describe(domain.networks()));
            }
            return name;
        }
        List<String> networks = domain.networks().stream().distinct().toList();
        if (networks.size() != 1) {
            throw new FeatureException("virtual-nas needs network=\"...\": " + domain.name() + " is on "
                    + describe(networks) + "; name the libvirt network to offer the share on");
        }
        return networks.get(0);
    }

    private static String describe(List<String> networks) {
        return networks.isEmpty() ? "no libvirt network (add <interface type='network'>)" : "networks " + String.join(", ", networks);
    }

    private static String forwardWarning(LibvirtNetwork network) {
        return "libvirt network " + network.name() + " forwards to the outside (mode " + network.forwardMode() + "): the share"
                + " is bound to " + network.address() + " and open only to " + network.address().network(network.prefix()) + "/"
                + network.prefix() + ", but an isolated network (no <forward>) keeps the guest off everything else";
    }

    /** Two servers cannot both take port 445 on one address. */
    private static void refuseSecondServer(FeatureContext context, LibvirtNetwork network) {
        for (FeatureContext.VmClaim<VirtualNasClaim> other : context.readableOtherVmClaims(VirtualNasClaim.CODEC)) {
            if (other.claim().address().equals(network.address())) {
                throw new FeatureException("VM " + other.vm() + " already serves a share on " + network.address()
                        + " (libvirt network " + other.claim().network() + "); one server per network: give this VM"
                        + " its own isolated network, or share one directory from the VM that runs it");
            }
        }
    }

    /** The user must exist, else smbd refuses every guest at connection time with nothing said at start. */
    private static void checkUser(HostRoot host, String user) {
        Optional<String> passwd = host.readIfExists("/etc/passwd");
        if (passwd.isPresent() && passwd.get().lines().noneMatch(l -> l.startsWith(user + ":"))) {
            throw new FeatureException("virtual-nas user '" + user + "' does not exist on this host; create it or use nobody");
        }
    }

    private static void writeRunDirectory(HostRoot host, String runDir, SmbConf conf, String vmName) {
        host.removeTree(runDir);
        host.createDirectory(runDir, "rwx------");
        host.createFile(runDir + "/" + OWNER, vmName + "\n", "rw-------");
        for (String sub : SmbConf.RUN_SUBDIRS) {
            host.createDirectory(runDir + "/" + sub, "rwxr-xr-x");
        }
        host.createFile(runDir + "/smb.conf", conf.render(), "rw-------");
    }

    /** The first executable {@code name} on {@code path}, then in the sbin directories. */
    static Optional<Path> find(String path, String name) {
        for (String dir : (path + ":" + FALLBACK_PATH).split(":")) {
            if (!dir.startsWith("/")) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** RFC 4648 base32 in lower case, without padding: 26 characters for 16 bytes. */
    static String base32(byte[] bytes) {
        String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        StringBuilder out = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (byte b : bytes) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                out.append(alphabet.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(alphabet.charAt((buffer << (5 - bits)) & 31));
        }
        return out.toString();
    }

    /** The file in a run directory that names the VM it belongs to. */
    static final String OWNER = "owner";

    /** A run directory another VM owns is never stopped or rewritten for this one. */
    private static void requireOwnedBy(HostRoot host, String runDir, String vmName) {
        Optional<String> owner = host.readIfExists(runDir + "/" + OWNER).map(String::strip);
        if (owner.isPresent() && !owner.get().equals(vmName.strip())) {
            throw new FeatureException("virtual-nas: " + runDir + " belongs to VM '" + SmbConf.printable(owner.get()) + "', not '"
                    + SmbConf.printable(vmName) + "'; its server is left alone");
        }
    }

    /**
     * A VM name as a file and unit name: a readable prefix plus 128 bits of SHA-256 in base32, so
     * that no two names meet (with 48 bits a colliding pair was found in a second: starting one VM
     * stopped the other's server). At most 35 characters: smbd's messaging socket,
     * {@code <run dir>/lock/msg.sock/<pid>}, must stay within the 108 bytes of a socket path.
     */
    static String safeName(String vmName) {
        StringBuilder safe = new StringBuilder();
        for (int i = 0; i < vmName.length() && safe.length() < 8; i++) {
            char c = vmName.charAt(i);
            safe.append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ? c : '_');
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(vmName.getBytes(StandardCharsets.UTF_8));
            return safe + "-" + base32(java.util.Arrays.copyOf(digest, 16));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
