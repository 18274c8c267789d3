package io.github.libvirthooks.features.lookingglass;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.engine.ClaimingFeature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.FeatureSpec;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.engine.SpecifiedFeature;
import io.github.libvirthooks.features.lookingglass.LookingGlassClaim.DeviceOwner;
import io.github.libvirthooks.features.lookingglass.LookingGlassClaim.KvmfrModule;
import io.github.libvirthooks.features.lookingglass.LookingGlassClaim.ShmFile;
import io.github.libvirthooks.features.lookingglass.LookingGlassOptions.Mode;
import io.github.libvirthooks.sysfs.FileStatus;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.account.LocalAccounts;
import io.github.libvirthooks.sysfs.module.Kvmfr;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * {@code looking-glass}: the shared memory the Looking Glass host in the guest writes frames to
 * and the client on the host reads, ready before QEMU starts. Mode {@code shm}: the
 * {@code /dev/shm/<name>} file of the VM's {@code <shmem>}, made the desktop user's and QEMU's
 * group's, removed at release if this VM made it. Mode {@code kvmfr}: the kvmfr module loaded
 * with the VM's size and its device given to the user, unloaded by the last VM using it if a
 * hook loaded it. The size is checked against the Looking Glass rule ({@link FrameSize}).
 */
public final class LookingGlassFeature implements ClaimingFeature<LookingGlassClaim>, SpecifiedFeature {
    public static final String NAME = "looking-glass";
    /** What this feature is: its events and options (the README's table is checked against it). */
    public static final FeatureSpec SPEC = FeatureSpec.named(NAME, "prepare the Looking Glass shared memory and remove it again")
            .at(HookOperation.PREPARE)
            .option("mode", "`shm`")
            .option("name", "`looking-glass`")
            .option("size", "the VM's `<shmem>` size")
            .option("resolution", "`1920x1080`")
            .option("user", "(required)")
            .option("group", "`kvm`, else `libvirt-qemu`")
            .option("device", "`/dev/kvmfr0`")
            .option("timeout", "`10s`")
            .build();
    static final int MODE = 0660;
    private static final List<String> QEMU_GROUPS = List.of("kvm", "libvirt-qemu");

    @Override
    public FeatureSpec spec() {
        return SPEC;
    }

    @Override
    public ClaimCodec<LookingGlassClaim> claimCodec() {
        return LookingGlassClaimCodec.INSTANCE;
    }

    @Override
    public void apply(FeatureContext context) {
        LookingGlassOptions options = LookingGlassOptions.parse(context.options());
        long size = size(options, context.domain());
        long mib = size / FrameSize.MIB;
        FrameSize frame = options.resolution();
        context.effect("mode", options.mode().name().toLowerCase(java.util.Locale.ROOT));
        context.effect("size-mib", mib);
        context.effect("resolution", frame.toString());
        context.effect("minimum-mib", frame.minimumMib());
        if (size % FrameSize.MIB != 0 || !FrameSize.isPowerOfTwo(mib)) {
            throw new FeatureException("looking-glass: the shared memory of " + sizeText(size) + " is not a power of two MiB;"
                    + " use " + Math.max(frame.minimumMib(), Long.highestOneBit(Math.max(1, mib)) << 1) + " MiB (<size unit='M'>)");
        }
        if (mib < frame.minimumMib()) {
            throw new FeatureException("looking-glass: " + mib + " MiB is too small for " + frame + " (" + frame.formula()
                    + "); set <size unit='M'>" + frame.minimumMib() + "</size> in the VM's <shmem>, or a smaller resolution='...'");
        }
        HostRoot host = context.host();
        LocalAccounts accounts = new LocalAccounts(host);
        int uid = accounts.uid(options.user()).orElseThrow(() -> new FeatureException("looking-glass: no user '"
                + options.user() + "' in " + LocalAccounts.PASSWD + "; name the desktop user who runs the client, or give a uid"));
        String groupName = group(options, accounts);
        int gid = accounts.gid(groupName).getAsInt();
        context.effect("user", options.user());
        context.effect("group", groupName);
        if (options.mode() == Mode.SHM) {
            shm(context, options.name(), size, uid, gid);
        } else {
            kvmfr(context, options, mib, uid, gid);
        }
    }

    /** The VM's {@code <shmem>} decides; an option that says otherwise is a mistake QEMU would not see. */
    private static long size(LookingGlassOptions options, Domain domain) {
        Optional<Domain.Shmem> shmem = domain.shmems().stream().filter(s -> s.name().equals(options.name())).findFirst();
        if (shmem.isPresent() && shmem.get().sizeBytes().isPresent()) {
            long inXml = shmem.get().sizeBytes().getAsLong();
            if (options.size().isPresent() && options.size().getAsLong() != inXml) {
                throw new FeatureException("looking-glass: size='" + sizeText(options.size().getAsLong()) + "' but the VM's <shmem name='"
                        + options.name() + "'> has " + sizeText(inXml) + ", which QEMU uses; drop the option or change the XML");
            }
            return inXml;
        }
        if (shmem.isPresent() && options.mode() == Mode.SHM && options.size().isEmpty()) {
            throw new FeatureException("looking-glass: the VM's <shmem name='" + options.name() + "'> has no <size>, and QEMU's default"
                    + " of 4 MiB is too small for Looking Glass; add <size unit='M'>" + options.resolution().minimumMib() + "</size>");
        }
        return options.size().orElse(options.resolution().minimumMib() * FrameSize.MIB);
    }

    private static String group(LookingGlassOptions options, LocalAccounts accounts) {
        if (options.group().isPresent()) {
            String g = options.group().get();
            if (accounts.gid(g).isEmpty()) {
                throw new FeatureException("looking-glass: no group '" + g + "' in " + LocalAccounts.GROUP
                        + "; name the group QEMU runs in (see group= in /etc/libvirt/qemu.conf), or give a gid");
            }
            return g;
        }
        for (String g : QEMU_GROUPS) {
            OptionalInt gid = accounts.gid(g);
            if (gid.isPresent()) {
                return g;
            }
        }
        throw new FeatureException("looking-glass: neither group kvm nor libvirt-qemu exists; set group='...' to the group QEMU"
                + " runs in (group= in /etc/libvirt/qemu.conf)");
    }

    private void shm(FeatureContext context, String name, long size, int uid, int gid) {
        String path = io.github.libvirthooks.sysfs.shm.DevShm.path(name);
        context.effect("path", path);
        Optional<FileStatus> there = context.host().status(path);
        if (there.isPresent()) {
            useExisting(context, path, there.get(), size, uid, gid);
            context.effect("action", "keep");
            return;
        }
        context.effect("action", "create");
        context.claim(claimCodec(), new ShmFile(name, size, uid, gid, false, -1));
        HostRoot claimed = context.claimedHost();
        claimed.createSharedFile(path, size, uid, gid, MODE);
        long inode = claimed.status(path).map(FileStatus::inode).orElse(-1L);
        context.updateClaim(claimCodec(), new ShmFile(name, size, uid, gid, true, Math.max(-1, inode)));
        context.report().accept("change looking-glass: created " + path + " (" + sizeText(size) + ", " + FileStatus.ownership(uid, gid,
                MODE) + ")");
    }

    /** A file the user made (by hand, or systemd-tmpfiles) is used as it is; anything else there is refused. */
    private static void useExisting(FeatureContext context, String path, FileStatus st, long size, int uid, int gid) {
        if (st.kind() == FileStatus.Kind.LINK) {
            String target = context.host().readLink(path).orElse("?");
            throw new FeatureException("looking-glass: " + path + " is a symbolic link (to " + LookingGlassOptions.abbreviate(target)
                    + "): refused, since QEMU and the client would map whatever it points to; remove it and start the VM again");
        }
        if (st.kind() != FileStatus.Kind.REGULAR) {
            throw new FeatureException("looking-glass: " + path + " is " + st.describe() + ", not a file; remove it and start again");
        }
        if (st.uid() != uid) {
            throw new FeatureException("looking-glass: " + path + " already exists and belongs to uid " + st.uid() + ", not the"
                    + " client's user (uid " + uid + "): refused; if it is a left-over of an earlier run, remove it (rm " + path + ")");
        }
        if (st.size() > 0 && st.size() < size) {
            throw new FeatureException("looking-glass: " + path + " already exists with " + st.size() + " bytes, less than the VM's "
                    + sizeText(size) + ", and QEMU refuses a smaller file; remove it (rm " + path + ") and start again");
        }
        if (st.gid() != gid || (st.mode() & 0060) != 0060) {
            context.report().accept("warn   looking-glass: " + path + " is " + st.ownership() + ": QEMU's group (gid " + gid
                    + ") may not open it; make it " + FileStatus.ownership(uid, gid, MODE) + " or remove it");
        }
        context.report().accept("keep   looking-glass: " + path + " is the user's already (" + st.describe() + "); used as it is");
    }

    private void kvmfr(FeatureContext context, LookingGlassOptions options, long mib, int uid, int gid) {
        String device = options.device();
        int index = Kvmfr.index(device).get();
        context.effect("device", device);
        List<FeatureContext.VmClaim<LookingGlassClaim>> others = context.otherVmClaims(claimCodec());
        for (FeatureContext.VmClaim<LookingGlassClaim> other : others) {
            if (other.claim() instanceof DeviceOwner d && d.device().equals(device)) {
                throw new FeatureException("looking-glass: VM " + LookingGlassOptions.abbreviate(other.vm()) + " uses " + device
                        + " now, and two VMs on one device would write one frame buffer; give this VM another device (device="
                        + "'/dev/kvmfr1', with kvmfr loaded as static_size_mb=" + mib + "," + mib + ")");
            }
        }
        Kvmfr kvmfr = new Kvmfr(context.host());
        boolean performed = true;
        if (!kvmfr.isLoaded()) {
            if (index != 0) {
                throw new FeatureException("looking-glass: kvmfr is not loaded, and loading it here makes /dev/kvmfr0 only; for "
                        + device + " load it at boot with one size per device (options kvmfr static_size_mb=" + mib + "," + mib
                        + " in /etc/modprobe.d/kvmfr.conf)");
            }
            context.effect("module", "load with static_size_mb=" + mib);
            context.claim(claimCodec(), new KvmfrModule(mib, true, options.timeout()));
            performed = kvmfr.load(context.commands(), mib, options.timeout());
            if (performed && !context.host().exists(device)) {
                throw new FeatureException("looking-glass: kvmfr loaded but " + device + " did not appear; see 'dmesg' for kvmfr");
            }
        } else {
            checkLoadedSize(context, kvmfr, index, device, mib);
            boolean byHooks = others.stream().anyMatch(c -> c.claim() instanceof KvmfrModule m && m.loadedByHooks());
            context.effect("module", byHooks ? "loaded by another VM's hook" : "loaded already (left loaded)");
            context.claim(claimCodec(), new KvmfrModule(mib, byHooks, options.timeout()));
        }
        context.effect("device-owner", FileStatus.ownership(uid, gid, MODE));
        Optional<FileStatus> st = context.host().status(device);
        if (st.isEmpty()) {
            if (performed) {
                throw new FeatureException("looking-glass: kvmfr is loaded but there is no " + device + "; its static_size_mb names"
                        + " fewer devices: load it with one size per device");
            }
            return;
        }
        if (st.get().kind() == FileStatus.Kind.LINK || st.get().kind() == FileStatus.Kind.DIRECTORY) {
            throw new FeatureException("looking-glass: " + device + " is " + st.get().describe() + ", not kvmfr's device: refused");
        }
        if (st.get().uid() == uid && st.get().gid() == gid && st.get().mode() == MODE) {
            return;
        }
        context.claim(claimCodec(), new DeviceOwner(device, st.get().uid(), st.get().gid(), st.get().mode()));
        context.claimedHost().setOwnership(device, uid, gid, MODE);
        context.report().accept("change looking-glass: " + device + " = " + FileStatus.ownership(uid, gid, MODE) + " (was "
                + st.get().ownership() + ")");
    }

    private static void checkLoadedSize(FeatureContext context, Kvmfr kvmfr, int index, String device, long mib) {
        Optional<List<Long>> sizes;
        try {
            sizes = kvmfr.staticSizesMb();
        } catch (HostAccessException e) {
            throw new FeatureException("looking-glass: " + e.getMessage());
        }
        if (sizes.isEmpty()) {
            context.report().accept("warn   looking-glass: kvmfr is loaded and does not show its static_size_mb; make sure "
                    + device + " has at least " + mib + " MiB");
            return;
        }
        if (index >= sizes.get().size() || sizes.get().get(index) < mib) {
            String has = index >= sizes.get().size() ? "no " + device : device + " has " + sizes.get().get(index) + " MiB";
            throw new FeatureException("looking-glass: kvmfr is loaded with static_size_mb=" + String.join(",",
                    sizes.get().stream().map(String::valueOf).toList()) + ", so " + has + " and the VM needs " + mib
                    + " MiB; unload it (modprobe -r kvmfr) when no VM uses it, or start the VM with a smaller size");
        }
    }

    @Override
    public void undo(LookingGlassClaim claim, FeatureContext context) {
        HostRoot host = context.host();
        if (claim instanceof ShmFile c) {
            removeIfOurs(context, c);
        } else if (claim instanceof DeviceOwner c) {
            Optional<FileStatus> st = host.status(c.device());
            if (st.isEmpty() || st.get().kind() == FileStatus.Kind.LINK || st.get().kind() == FileStatus.Kind.DIRECTORY) {
                return;
            }
            if (!st.get().ownership().equals(FileStatus.ownership(c.uid(), c.gid(), c.mode()))) {
                host.setOwnership(c.device(), c.uid(), c.gid(), c.mode());
                context.report().accept("undo   looking-glass: " + c.device() + " = " + FileStatus.ownership(c.uid(), c.gid(), c.mode())
                        + " (was " + st.get().ownership() + ")");
            }
        } else if (claim instanceof KvmfrModule c) {
            List<String> users = context.otherVmClaims(claimCodec()).stream().filter(o -> o.claim() instanceof KvmfrModule)
                    .map(FeatureContext.VmClaim::vm).toList();
            Kvmfr kvmfr = new Kvmfr(host);
            if (!users.isEmpty()) {
                context.report().accept("keep   looking-glass: kvmfr stays loaded for VM " + LookingGlassOptions.abbreviate(users.get(0)));
            } else if (c.loadedByHooks() && kvmfr.isLoaded()) {
                try {
                    kvmfr.unload(context.commands(), c.timeout());
                } catch (RuntimeException e) {
                    throw new FeatureException("cannot unload kvmfr (" + e.getMessage() + "); close the Looking Glass client, then"
                            + " run 'libvirt-hooks restore' or: modprobe -r kvmfr", e);
                }
                context.report().accept("undo   looking-glass: kvmfr unloaded");
            }
        }
    }

    /** Only the file this VM made: its inode, owner and size, or before the inode was recorded, exactly what the creation makes. */
    private static void removeIfOurs(FeatureContext context, ShmFile c) {
        HostRoot host = context.host();
        Optional<FileStatus> st = host.status(c.path());
        if (st.isEmpty()) {
            return;
        }
        FileStatus f = st.get();
        // Inode numbers are reused at once on tmpfs: a file made anew at the path must also differ in owner or size to be kept.
        boolean ours = f.kind() == FileStatus.Kind.REGULAR && (c.created() && c.inode() >= 0
                ? f.inode() == c.inode() && f.uid() == c.uid() && f.size() == c.size()
                : (f.uid() == c.uid() && f.gid() == c.gid() && f.mode() == MODE && f.size() == c.size())
                        || (f.uid() == 0 && f.mode() == 0600 && (f.size() == 0 || f.size() == c.size())));
        if (!ours) {
            context.report().accept("keep   looking-glass: " + c.path() + " is not the file this VM made (" + f.describe()
                    + "); left as it is");
            return;
        }
        host.removeFile(c.path());
        context.report().accept("undo   looking-glass: removed " + c.path());
    }

    static String sizeText(long bytes) {
        return bytes % FrameSize.MIB == 0 ? bytes / FrameSize.MIB + " MiB" : bytes + " bytes";
    }
}
