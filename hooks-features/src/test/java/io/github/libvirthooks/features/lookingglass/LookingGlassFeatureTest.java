package io.github.libvirthooks.features.lookingglass;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.FeaturePlan;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookFailure;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOutcome;
import io.github.libvirthooks.features.engine.HookRequest;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.FileStatus;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.testkit.FakeHost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LookingGlassFeatureTest {
    static final String SHMEM_32 = "<shmem name='looking-glass'><model type='ivshmem-plain'/><size unit='M'>32</size></shmem>";
    static final String FILE = "/dev/shm/looking-glass";

    @TempDir
    Path tmp;
    FakeHost host;
    FakeKvmfr kvmfr;
    StateDirectory state;
    int uid;
    int gid;
    final List<List<String>> ran = new ArrayList<>();
    final List<String> report = new ArrayList<>();

    @BeforeEach
    void desktop() {
        host = FakeHost.vfioDesktop(tmp.resolve("host")).file("/proc/modules", "vfio_pci 1 0 - Live 0x0");
        int[] ids = FakeKvmfr.ownableIds(tmp);
        uid = ids[0];
        gid = ids[1];
        FakeKvmfr.desktopAccounts(host, uid, gid);
        kvmfr = new FakeKvmfr(host, false);
        state = new StateDirectory(tmp.resolve("state"));
    }

    // --- shm ---------------------------------------------------------------------------------------

    @Test
    void theShmFileIsMadeTheUsersAtPrepareWithTheVmsSizeAndRemovedAtRelease() throws IOException {
        HookOutcome prepare = run("vm", "prepare", "<looking-glass user='alice'/>", SHMEM_32);

        FileStatus made = host.host().status(FILE).orElseThrow();
        assertThat(made.kind()).isEqualTo(FileStatus.Kind.REGULAR);
        assertThat(made.size()).isEqualTo(32L << 20);
        assertThat(made.ownership()).isEqualTo(uid + ":" + gid + " 0660");
        assertThat(report).anyMatch(l -> l.startsWith("change looking-glass: created " + FILE + " (32 MiB"));
        assertThat(journals()).hasSize(1);

        HookOutcome release = run("vm", "release", "<looking-glass user='alice'/>", SHMEM_32);
        assertThat(release.warnings()).isEmpty();
        assertThat(host.local(FILE)).doesNotExist();
        assertThat(journals()).isEmpty();
    }

    @Test
    void planShowsTheSizeTheRuleAndTheFileWithoutMakingIt() {
        FeaturePlan plan = plan("<looking-glass user='alice' resolution='2560x1440'/>",
                "<shmem name='looking-glass'><model type='ivshmem-plain'/><size unit='M'>64</size></shmem>");

        assertThat(plan.refused()).isEmpty();
        assertThat(plan.effects()).containsEntry("mode", "shm").containsEntry("size-mib", 64L).containsEntry("minimum-mib", 64L)
                .containsEntry("resolution", "2560x1440").containsEntry("path", FILE).containsEntry("action", "create")
                .containsEntry("user", "alice").containsEntry("group", "kvm");
        assertThat(plan.created()).containsExactly(FILE);
        assertThat(host.local(FILE)).doesNotExist();
    }

    @Test
    void aSizeBelowTheLookingGlassRuleOrNotAPowerOfTwoIsRefusedWithTheFormula() {
        assertThatThrownBy(() -> run("vm", "prepare", "<looking-glass user='alice'/>",
                "<shmem name='looking-glass'><size unit='M'>16</size></shmem>")).isInstanceOf(HookFailure.class)
                .hasMessageContaining("16 MiB is too small for 1920x1080 (1920 x 1080 x 4 x 2 = 16588800 bytes, + 10 MiB = 25.82 MiB,"
                        + " rounded up to a power of two: 32 MiB)");
        assertThatThrownBy(() -> run("vm", "prepare", "<looking-glass user='alice'/>",
                "<shmem name='looking-glass'><size unit='M'>48</size></shmem>")).isInstanceOf(HookFailure.class)
                .hasMessageContaining("48 MiB is not a power of two MiB; use 64 MiB");
        assertThatThrownBy(() -> run("vm", "prepare", "<looking-glass user='alice' resolution='3840x2160'/>", SHMEM_32))
                .hasMessageContaining("rounded up to a power of two: 128 MiB");
        assertThatThrownBy(() -> run("vm", "prepare", "<looking-glass user='alice' size='64M'/>", SHMEM_32))
                .hasMessageContaining("size='64 MiB' but the VM's <shmem name='looking-glass'> has 32 MiB");
        assertThat(host.local(FILE)).doesNotExist();
        assertThat(journals()).isEmpty();
    }

    @Test
    void theRuleForCommonResolutions() {
        assertThat(new FrameSize(1920, 1080).minimumMib()).isEqualTo(32);
        assertThat(new FrameSize(2560, 1440).minimumMib()).isEqualTo(64);
        assertThat(new FrameSize(3440, 1440).minimumMib()).isEqualTo(64);
        assertThat(new FrameSize(3840, 2160).minimumMib()).isEqualTo(128);
        assertThat(new FrameSize(1024, 768).minimumMib()).isEqualTo(16);
    }

    @Test
    void aNameWithASlashIsRefusedBeforeAnythingIsRead() {
        assertThatThrownBy(() -> run("vm", "prepare", "<looking-glass user='alice' name='../../etc/shadow'/>", SHMEM_32))
                .isInstanceOf(HookFailure.class).hasMessageContaining("invalid looking-glass name '../../etc/shadow'")
                .hasMessageContaining("no '/'");
        assertThatThrownBy(() -> run("vm", "prepare", "<looking-glass user='alice' name='a/b'/>", SHMEM_32))
                .hasMessageContaining("no '/'");
    }

    @Test
    void aSymbolicLinkAtThePathIsRefusedAndWhatItPointsToIsUntouched() throws IOException {
        Path target = Files.writeString(tmp.resolve("precious"), "keep me");
        Files.createSymbolicLink(host.local(FILE), target);

        assertThatThrownBy(() -> run("vm", "prepare", "<looking-glass user='alice'/>", SHMEM_32)).isInstanceOf(HookFailure.class)
                .hasMessageContaining(FILE + " is a symbolic link (to " + target + "): refused");

        assertThat(Files.readString(target)).isEqualTo("keep me");
        assertThat(Files.isSymbolicLink(host.local(FILE))).isTrue();
        assertThat(journals()).isEmpty();
    }

    @Test
    void aFileOfSomeoneElseIsRefusedAndKept() throws IOException {
        Files.writeString(host.local(FILE), "qemu's");
        int owner = (Integer) Files.getAttribute(host.local(FILE), "unix:uid");
        host.file("/etc/passwd", "bob:x:" + (owner + 1) + ":" + (owner + 1) + "::/home/bob:/bin/sh\n");

        assertThatThrownBy(() -> run("vm", "prepare", "<looking-glass user='bob'/>", SHMEM_32)).isInstanceOf(HookFailure.class)
                .hasMessageContaining("already exists and belongs to uid " + owner + ", not the client's user (uid " + (owner + 1) + ")")
                .hasMessageContaining("rm " + FILE);

        assertThat(host.read(FILE)).isEqualTo("qemu's");
    }

    @Test
    void aFileTheUserMadeIsUsedAsItIsAndNotRemovedAtRelease() throws IOException {
        Files.writeString(host.local(FILE), "");
        Files.setAttribute(host.local(FILE), "unix:uid", uid);
        Files.setAttribute(host.local(FILE), "unix:gid", gid);
        Files.setAttribute(host.local(FILE), "unix:mode", 0660);

        HookOutcome prepare = run("vm", "prepare", "<looking-glass user='alice'/>", SHMEM_32);
        assertThat(report).anyMatch(l -> l.startsWith("keep   looking-glass: " + FILE + " is the user's already"));
        run("vm", "release", "<looking-glass user='alice'/>", SHMEM_32);

        assertThat(host.local(FILE)).exists();
        assertThat(journals()).isEmpty();
    }

    @Test
    void aFileReplacedWhileTheVmRanIsLeftAtRelease() throws IOException {
        run("vm", "prepare", "<looking-glass user='alice'/>", SHMEM_32);
        Files.delete(host.local(FILE));
        Files.writeString(host.local(FILE), "the user's new file");

        HookOutcome release = run("vm", "release", "<looking-glass user='alice'/>", SHMEM_32);

        assertThat(host.read(FILE)).isEqualTo("the user's new file");
        assertThat(report).anyMatch(l -> l.startsWith("keep   looking-glass: " + FILE + " is not the file this VM made"));
        assertThat(journals()).isEmpty();
    }

    /** Killed right after the file was made, before its claim said so: the next release still knows it for this VM's. */
    @Test
    void aHookKilledRightAfterMakingTheFileLeavesItToTheNextRelease() {
        final class Killed extends Error {
        }
        killAfter = path -> {
            if (path.equals(FILE)) {
                throw new Killed();
            }
        };
        assertThatThrownBy(() -> run("vm", "prepare", "<looking-glass user='alice'/>", SHMEM_32)).isInstanceOf(Killed.class);
        assertThat(host.local(FILE)).exists();
        killAfter = path -> { };

        run("vm", "release", "<looking-glass user='alice'/>", SHMEM_32);

        assertThat(host.local(FILE)).doesNotExist();
        assertThat(journals()).isEmpty();
    }

    @Test
    void aMissingUserOrGroupIsRefusedByName() {
        assertThatThrownBy(() -> run("vm", "prepare", "<looking-glass/>", SHMEM_32)).hasMessageContaining("needs user='...'");
        assertThatThrownBy(() -> run("vm", "prepare", "<looking-glass user='mallory'/>", SHMEM_32))
                .hasMessageContaining("no user 'mallory' in /etc/passwd");
        assertThatThrownBy(() -> run("vm", "prepare", "<looking-glass user='alice' group='qemu'/>", SHMEM_32))
                .hasMessageContaining("no group 'qemu' in /etc/group");
        host.file("/etc/group", "root:x:0:\nlibvirt-qemu:x:" + gid + ":\n");
        assertThat(plan("<looking-glass user='alice'/>", SHMEM_32).effects()).containsEntry("group", "libvirt-qemu");
    }

    // --- kvmfr -------------------------------------------------------------------------------------

    @Test
    void kvmfrIsLoadedWithTheVmsSizeItsDeviceGivenToTheUserAndAllUndoneAtRelease() {
        String modules = host.read("/proc/modules");
        run("vm", "prepare", "<looking-glass mode='kvmfr' user='alice' size='64M'/>", "");

        assertThat(ran).containsExactly(List.of("modprobe", "kvmfr", "static_size_mb=64"));
        assertThat(host.host().status("/dev/kvmfr0").orElseThrow().ownership()).isEqualTo(uid + ":" + gid + " 0660");

        HookOutcome release = run("vm", "release", "<looking-glass mode='kvmfr' user='alice' size='64M'/>", "");
        assertThat(release.warnings()).isEmpty();
        assertThat(ran).containsExactly(List.of("modprobe", "kvmfr", "static_size_mb=64"), List.of("modprobe", "-r", "kvmfr"));
        assertThat(host.read("/proc/modules")).isEqualTo(modules);
        assertThat(host.local("/dev/kvmfr0")).doesNotExist();
        assertThat(journals()).isEmpty();
    }

    @Test
    void aKvmfrLoadedWithASmallerSizeIsRefused() {
        kvmfr = new FakeKvmfr(host, true);
        kvmfr.answer(List.of("modprobe", "kvmfr", "static_size_mb=16"));

        assertThatThrownBy(() -> run("vm", "prepare", "<looking-glass mode='kvmfr' user='alice'/>", ""))
                .isInstanceOf(HookFailure.class)
                .hasMessageContaining("kvmfr is loaded with static_size_mb=16, so /dev/kvmfr0 has 16 MiB and the VM needs 32 MiB");
        assertThat(host.host().status("/dev/kvmfr0").orElseThrow().mode()).isEqualTo(0600);
        assertThat(ran).isEmpty();
    }

    @Test
    void aKvmfrTheUserLoadedStaysLoadedAndOnlyTheDeviceOwnerComesBack() {
        kvmfr.answer(List.of("modprobe", "kvmfr", "static_size_mb=32"));
        FileStatus device = host.host().status("/dev/kvmfr0").orElseThrow();

        HookOutcome prepare = run("vm", "prepare", "<looking-glass mode='kvmfr' user='alice'/>", "");
        assertThat(report).anyMatch(l -> l.contains("does not show its static_size_mb; make sure /dev/kvmfr0 has at least 32"));
        run("vm", "release", "<looking-glass mode='kvmfr' user='alice'/>", "");

        assertThat(ran).isEmpty();
        assertThat(host.read("/proc/modules")).contains("kvmfr");
        assertThat(host.host().status("/dev/kvmfr0").orElseThrow().ownership()).isEqualTo(device.ownership());
        assertThat(journals()).isEmpty();
    }

    @Test
    void theLastVmUsingTheKvmfrAHookLoadedUnloadsItAndTwoVmsNeverShareADevice() {
        run("a", "prepare", "<looking-glass mode='kvmfr' user='alice'/>", "");
        assertThatThrownBy(() -> run("b", "prepare", "<looking-glass mode='kvmfr' user='alice'/>", ""))
                .hasMessageContaining("VM a uses /dev/kvmfr0 now");
        // As if the module had made a second device.
        host.file("/dev/kvmfr1", "");
        kvmfr.chmod("/dev/kvmfr1", 0600);
        run("b", "prepare", "<looking-glass mode='kvmfr' user='alice' device='/dev/kvmfr1'/>", "");

        HookOutcome releaseA = run("a", "release", "<looking-glass mode='kvmfr' user='alice'/>", "");
        assertThat(report).anyMatch(l -> l.equals("keep   looking-glass: kvmfr stays loaded for VM b"));
        assertThat(host.read("/proc/modules")).contains("kvmfr");
        assertThat(host.host().status("/dev/kvmfr0").orElseThrow().mode()).isEqualTo(0600);

        run("b", "release", "<looking-glass mode='kvmfr' user='alice' device='/dev/kvmfr1'/>", "");
        assertThat(ran).containsExactly(List.of("modprobe", "kvmfr", "static_size_mb=32"), List.of("modprobe", "-r", "kvmfr"));
        assertThat(host.read("/proc/modules")).doesNotContain("kvmfr");
        assertThat(journals()).isEmpty();
    }

    @Test
    void planForKvmfrShowsTheLoadAndTheOwnerWithoutRunningModprobe() {
        FeaturePlan plan = plan("<looking-glass mode='kvmfr' user='alice'/>", "");
        assertThat(plan.refused()).isEmpty();
        assertThat(plan.effects()).containsEntry("module", "load with static_size_mb=32").containsEntry("device", "/dev/kvmfr0")
                .containsEntry("device-owner", uid + ":" + gid + " 0660");
        assertThat(plan.commands()).containsExactly(List.of("modprobe", "kvmfr", "static_size_mb=32"));
        assertThat(ran).isEmpty();
    }

    @Test
    void theClaimsRoundTripAndPlantedOnesAreRefused() {
        LookingGlassClaimCodec codec = LookingGlassClaimCodec.INSTANCE;
        for (LookingGlassClaim c : List.of(new LookingGlassClaim.ShmFile("looking-glass", 32L << 20, 1000, 994, true, 42),
                new LookingGlassClaim.KvmfrModule(64, true, Duration.ofSeconds(10)),
                new LookingGlassClaim.DeviceOwner("/dev/kvmfr0", 0, 0, 0600))) {
            assertThat(codec.decode(codec.resource(c), codec.encode(c))).isEqualTo(c);
        }
        assertThatThrownBy(() -> codec.decode("shm ../../etc/passwd", Map.of("size", "1", "uid", "0", "gid", "0", "created", "true",
                "inode", "1"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> codec.decode("owner /etc/shadow", Map.of("uid", "0", "gid", "0", "mode", "0777")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> codec.decode("owner /dev/kvmfr0", Map.of("uid", "0", "gid", "0", "mode", "4777x")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // --- harness -----------------------------------------------------------------------------------

    static Domain domain(String name, String hooks, String devices) {
        String xml = "<domain type='kvm'><name>" + name + "</name><uuid>6f1c2b9e-0000-4000-8000-0000000000" + (name.equals("b") ? "21" : "20")
                + "</uuid><memory unit='MiB'>64</memory><devices>" + devices + "</devices>"
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'>" + hooks + "</hooks></metadata></domain>";
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }

    java.util.function.Consumer<String> killAfter = path -> { };

    HookEngine engine() {
        HostRoot root = host.host().withListener(new io.github.libvirthooks.sysfs.HostWriteListener() {
            @Override
            public void beforeWrite(io.github.libvirthooks.sysfs.Change intended) {
            }

            @Override
            public void afterChange(String path) {
                killAfter.accept(path);
            }
        });
        CommandRunner commands = (argv, timeout) -> {
            ran.add(argv);
            return kvmfr.answer(argv).orElseThrow(() -> new AssertionError("unexpected " + argv));
        };
        return new HookEngine(root, commands, state, List.of(new LookingGlassFeature()), Duration.ofSeconds(5), Clock.systemUTC());
    }

    HookOutcome run(String vm, String op, String hooks, String devices) {
        Domain d = domain(vm, hooks, devices);
        String sub = op.equals("release") ? "end" : "begin";
        return engine().run(HookInvocation.parse(List.of("qemu", vm, op, sub, "-")), d, d.hooksConfig(), report::add);
    }

    FeaturePlan plan(String hooks, String devices) {
        Domain d = domain("vm", hooks, devices);
        return engine().plan(HookRequest.of(HookInvocation.parse(List.of("qemu", "vm", "prepare", "begin", "-")), d), d.hooksConfig())
                .get(0);
    }

    List<String> journals() {
        try (var files = Files.list(state.path())) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".journal")).toList();
        } catch (java.nio.file.NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
