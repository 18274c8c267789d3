package io.github.libvirthooks.features.virtualnas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookFailure;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOutcome;
import io.github.libvirthooks.features.state.JournalEntry;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.HostRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class VirtualNasFeatureTest {
    @TempDir
    Path tmp;
    Path root;
    HostRoot host;
    StateDirectory state;
    FakeSmbd fake;
    Path sbin;
    List<String> lines;

    @BeforeEach
    void host() throws IOException {
        root = Files.createDirectories(tmp.resolve("root"));
        Files.createDirectories(root.resolve("srv/games"));
        write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        write("/run/libvirt/network/nas.xml", "<networkstatus><network><name>nas</name><bridge name='virbr5'/>"
                + "<ip address='192.168.150.1' prefix='24'/></network></networkstatus>");
        write("/run/libvirt/network/default.xml", "<networkstatus><network><name>default</name><forward mode='nat'/>"
                + "<bridge name='virbr0'/><ip address='192.168.122.1' netmask='255.255.255.0'/></network></networkstatus>");
        host = HostRoot.at(root);
        state = new StateDirectory(tmp.resolve("state"));
        fake = new FakeSmbd();
        sbin = Files.createDirectories(tmp.resolve("sbin"));
        Path smbd = sbin.resolve("smbd");
        Files.writeString(smbd, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(smbd, PosixFilePermissions.fromString("rwxr-xr-x"));
        lines = new ArrayList<>();
    }

    @Test
    void prepareStartsAPrivateSmbdOnTheNetworksAddressAndReleaseStopsIt() throws IOException {
        Domain vm = vm("winxp", "<virtual-nas path='/srv/games'/>", "nas");

        run(vm, "prepare");

        String runDir = VirtualNasFeature.RUN_DIR + "/" + VirtualNasFeature.safeName("winxp");
        Path local = root.toRealPath().resolve(runDir.substring(1));
        Path config = local.resolve("smb.conf");
        assertThat(fake.ran).containsExactly(List.of(sbin.resolve("smbd").toString(), "--daemon", "--configfile=" + config));
        String text = Files.readString(config);
        assertThat(text).contains("\tinterfaces = 192.168.150.1/24\n", "\thosts allow = 192.168.150.0/24\n",
                "\tpath = " + root.toRealPath().resolve("srv/games") + "\n", "\tread only = yes\n", "\tpid directory = " + local + "/pid\n");
        assertThat(Files.getPosixFilePermissions(local)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(local.resolve(VirtualNasFeature.OWNER)).hasContent("winxp\n");
        JournalEntry claim = claim("winxp");
        assertThat(claim.values()).containsEntry("address", "192.168.150.1").containsEntry("network", "nas")
                .containsEntry("path", "/srv/games").containsEntry("mode", "ro").containsEntry("supervisor", "process")
                .containsEntry("run-dir", runDir).containsEntry("pid", "4242").doesNotContainKey("unit");
        assertThat(lines).contains("start  virtual-nas: \\\\192.168.150.1\\share serves /srv/games read-only to winxp on network nas"
                + " (smbd pid 4242)");

        HookOutcome released = run(vm, "release");

        assertThat(released.warnings()).isEmpty();
        assertThat(fake.ran.get(1)).containsExactly("kill", "-TERM", "--", "4242");
        assertThat(fake.processes).isEmpty();
        assertThat(local).doesNotExist();
        assertThat(state.fileFor("winxp")).doesNotExist();
    }

    @Test
    void underSystemdTheServerIsATransientServiceStoppedWithSystemctl() throws IOException {
        Files.createDirectories(root.resolve("run/systemd/system"));
        Domain vm = vm("winxp", "<virtual-nas path='/srv/games' mode='rw' smb1='true' share='GAMES'/>", "nas");

        run(vm, "prepare");

        String unit = "libvirt-hooks-nas-" + VirtualNasFeature.safeName("winxp") + ".service";
        Path config = root.toRealPath().resolve(VirtualNasFeature.RUN_DIR.substring(1)).resolve(VirtualNasFeature.safeName("winxp"))
                .resolve("smb.conf");
        assertThat(fake.ran).containsExactly(
                List.of("systemctl", "stop", unit),
                List.of("systemd-run", "--unit=" + unit, "--description=libvirt-hooks virtual-nas share", "--collect", "--quiet", "--",
                        sbin.resolve("smbd").toString(), "--foreground", "--no-process-group", "--configfile=" + config));
        assertThat(Files.readString(config)).contains("\tserver min protocol = NT1\n", "\tread only = no\n", "\n[GAMES]\n");
        assertThat(claim("winxp").values()).containsEntry("unit", unit).containsEntry("supervisor", "systemd").containsEntry("smb1", "true");

        run(vm, "release");

        assertThat(fake.ran.get(2)).containsExactly("systemctl", "stop", unit);
        assertThat(fake.ran).hasSize(3);
        assertThat(fake.units).isEmpty();
    }

    @Test
    void aServerThatDoesNotListenFailsTheStartWithItsLogAndIsCleanedUp() throws IOException {
        fake.listen = false;
        Domain vm = vm("winxp", "<virtual-nas path='/srv/games' timeout='1s'/>", "nas");
        assertThatThrownBy(() -> run(vm, "prepare")).isInstanceOf(HookFailure.class)
                .hasMessageStartingWith("virtual-nas: smbd did not listen on 192.168.150.1:445 within 1 s");
        assertThat(fake.processes).as("the half-started server was stopped").isEmpty();
        assertThat(root.resolve("run/libvirt-hooks/nas").toFile().list()).isEmpty();
        assertThat(state.fileFor("winxp")).doesNotExist();
    }

    @Test
    void aServerThatExitsAtOnceFailsFastWithTheReasonFromItsLog() {
        fake.exitAtOnce = true;
        Domain vm = vm("winxp", "<virtual-nas path='/srv/games'/>", "nas");
        long start = System.nanoTime();
        assertThatThrownBy(() -> run(vm, "prepare")).isInstanceOf(HookFailure.class)
                .hasMessageContaining("smbd stopped right after starting")
                .hasMessageContaining("open_sockets_smbd: No sockets available to bind to.");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void theNetworkComesFromTheVmsOnlyInterfaceAndForwardingIsWarned() {
        Domain vm = vm("win10", "<virtual-nas path='/srv/games'/>", "default");
        run(vm, "prepare");
        assertThat(lines).anyMatch(l -> l.startsWith("warn   virtual-nas: libvirt network default forwards to the outside (mode nat)"));
        assertThat(claim("win10").values()).containsEntry("address", "192.168.122.1");
    }

    @Test
    void aSecondVmOnTheSameNetworkIsRefusedBeforeAnythingStarts() {
        run(vm("one", "<virtual-nas path='/srv/games'/>", "nas"), "prepare");
        assertThatThrownBy(() -> run(vm("two", "<virtual-nas path='/srv/games'/>", "nas"), "prepare"))
                .isInstanceOf(HookFailure.class).hasMessageContaining("VM one already serves a share on 192.168.150.1");
        assertThat(fake.ran).hasSize(1);
    }

    @Test
    void badConfigurationStopsTheStartWithWhatToDo() throws IOException {
        Files.createDirectories(root.resolve("etc/secret"));
        String[][] cases = {
            {"<virtual-nas/>", "needs path"},
            {"<virtual-nas path='/etc/secret'/>", "is refused"},
            {"<virtual-nas path='/srv/none'/>", "is not a directory"},
            {"<virtual-nas path='/srv/games' network='default'/>", "has no <interface type='network'> on libvirt network 'default'"},
            {"<virtual-nas path='/srv/games' mode='rx'/>", "use ro (read only, the default) or rw"},
            {"<virtual-nas path='/srv/games' mode='rw' readonly='true'/>", "contradicts"},
            {"<virtual-nas path='/srv/games' share='global'/>", "invalid virtual-nas share"},
            {"<virtual-nas path='/srv/games' user='root'/>", "other than root"},
            {"<virtual-nas path='/srv/games' user='ghost'/>", "does not exist on this host"},
            {"<virtual-nas path='/srv/games' protocol='webdav'/>", "serves smb only"},
            {"<virtual-nas path='/srv/%U'/>", "Samba substitutes"},
        };
        for (String[] c : cases) {
            Domain vm = vm("winxp", c[0], "nas");
            assertThatThrownBy(() -> run(vm, "prepare")).as(c[0]).isInstanceOf(HookFailure.class).hasMessageContaining(c[1]);
        }
        assertThatThrownBy(() -> run(vm("two", "<virtual-nas path='/srv/games'/>", "nas", "default"), "prepare"))
                .hasMessageContaining("needs network=");
        assertThat(fake.ran).isEmpty();
    }

    @Test
    void withoutSmbdTheStartStopsWithTheInstallCommand() throws IOException {
        Domain vm = vm("winxp", "<virtual-nas path='/srv/games'/>", "nas");
        HookEngine engine = new HookEngine(host, fake, state, List.of(new VirtualNasFeature(tmp.resolve("empty").toString(), List.of(), fake)),
                Duration.ofSeconds(5), Clock.systemUTC());
        // The fallback sbin directories may hold a real smbd on this machine: only check the message when none is found.
        if (VirtualNasFeature.find(tmp.resolve("empty").toString(), "smbd").isEmpty()) {
            assertThatThrownBy(() -> engine.run(event("winxp", "prepare"), vm, vm.hooksConfig(), lines::add))
                    .hasMessageContaining("apt-get install samba");
        }
    }

    @Test
    void planDescribesTheShareWithoutStartingIt() {
        Domain vm = vm("win10", "<virtual-nas path='/srv/games' network='default'/>", "default");
        HookEngine engine = new HookEngine(host, fake, state, List.of(feature()), Duration.ofSeconds(5), Clock.systemUTC());
        var plan = engine.plan(io.github.libvirthooks.features.engine.HookRequest.of(event("win10", "prepare"), vm), vm.hooksConfig())
                .get(0);
        assertThat(plan.refused()).isEmpty();
        assertThat(plan.created()).anyMatch(path -> path.endsWith("/smb.conf"));
        assertThat(plan.commands()).anyMatch(argv -> argv.contains("--daemon") || argv.contains("systemd-run"));
        assertThat(plan.notes()).anyMatch(l -> l.startsWith("warn   virtual-nas: libvirt network default forwards"));
        assertThat(plan.claims()).singleElement().satisfies(c -> {
            VirtualNasClaim claim = VirtualNasClaim.CODEC.decode(c.key(), c.values());
            assertThat(claim.path()).isEqualTo("/srv/games");
            assertThat(claim.readOnly()).isTrue();
            assertThat(claim.address()).isEqualTo(Ipv4.parse("192.168.122.1"));
            assertThat(claim.share()).isEqualTo("share");
        });
        assertThat(fake.ran).isEmpty();
        assertThat(plan.created()).allSatisfy(path -> assertThat(host.resolve(path)).doesNotExist());
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void anyVmNameMapsToOneSafeDirectoryCarrying128BitsOfItsHash() {
        assertThat(VirtualNasFeature.safeName("win xp/../..")).matches("win_xp__-[a-z2-7]{26}");
        assertThat(VirtualNasFeature.safeName("a")).isNotEqualTo(VirtualNasFeature.safeName("b"));
        assertThat(VirtualNasFeature.safeName("x".repeat(300))).hasSize(8 + 1 + 26);
        // RFC 4648's own example, in lower case without padding.
        assertThat(VirtualNasFeature.base32("foobar".getBytes(java.nio.charset.StandardCharsets.US_ASCII))).isEqualTo("mzxw6ytboi");
    }

    /**
     * The swap: smbd opens the share when a guest connects, after the check. Whoever can write a
     * folder above it can rename the share away and put a link to /etc in its place, and the
     * guest would browse /etc. A share with such a folder above it is refused; below folders
     * only root can change, the share (even one its user owns) is served.
     */
    @Test
    void aShareWhoseParentOthersCanWriteIsRefusedSinceTheyCouldSwapItForALinkToEtc() throws IOException {
        Path users = Files.createDirectories(root.resolve("home/alice"));
        Files.createDirectories(users.resolve("share"));
        Files.setPosixFilePermissions(users, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));

        assertThatThrownBy(() -> run(vm("winxp", "<virtual-nas path='/home/alice/share'/>", "nas"), "prepare"))
                .hasMessageContaining("virtual-nas path /home/alice/share is refused: /home/alice above it is writable by group or"
                        + " others, so its owner could swap the share for a link to any host folder")
                .hasMessageContaining("e.g. /srv/vm-share");
        assertThat(fake.ran).isEmpty();

        // What the swap would do, had it been allowed: the checked folder replaced by a link to /etc.
        Files.move(users.resolve("share"), users.resolve("share.old"));
        Files.createSymbolicLink(users.resolve("share"), root.resolve("etc"));
        assertThatThrownBy(() -> run(vm("winxp", "<virtual-nas path='/home/alice/share'/>", "nas"), "prepare"))
                .hasMessageContaining("(really /etc) is refused");

        Files.setPosixFilePermissions(users, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.delete(users.resolve("share"));
        Files.move(users.resolve("share.old"), users.resolve("share"));
        Files.setPosixFilePermissions(users.resolve("share"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        run(vm("winxp", "<virtual-nas path='/home/alice/share'/>", "nas"), "prepare");
        assertThat(fake.ran).as("a share anyone may write into, below folders only root can change").isNotEmpty();
    }

    @Test
    void aRunDirectoryAnotherVmOwnsIsNeverStoppedOrRewritten() throws IOException {
        Domain vm = vm("winxp", "<virtual-nas path='/srv/games'/>", "nas");
        String runDir = VirtualNasFeature.RUN_DIR + "/" + VirtualNasFeature.safeName("winxp");
        Path local = Files.createDirectories(root.resolve(runDir.substring(1)));
        Files.writeString(local.resolve(VirtualNasFeature.OWNER), "someone-else\n");
        Files.writeString(local.resolve("smb.conf"), "theirs\n");

        assertThatThrownBy(() -> run(vm, "prepare")).hasMessageContaining(runDir + " belongs to VM 'someone-else', not 'winxp'");

        assertThat(fake.ran).isEmpty();
        assertThat(local.resolve("smb.conf")).hasContent("theirs\n");
    }

    private VirtualNasFeature feature() {
        return new VirtualNasFeature(sbin.toString(), List.of(), fake);
    }

    private HookOutcome run(Domain vm, String op) {
        HookEngine engine = new HookEngine(host, fake, state, List.of(feature()), Duration.ofSeconds(5), Clock.systemUTC());
        return engine.run(event(vm.name(), op), vm, vm.hooksConfig(), lines::add);
    }

    private JournalEntry claim(String vm) {
        return state.load(vm, "").entries().stream().filter(e -> e.feature().equals("virtual-nas")).findFirst().orElseThrow();
    }

    private void write(String hostPath, String text) throws IOException {
        Path file = root.resolve(hostPath.substring(1));
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    static HookInvocation event(String vm, String op) {
        return HookInvocation.parse(List.of("qemu", vm, op, op.equals("release") ? "end" : "begin", "-"));
    }

    static Domain vm(String name, String hooks, String... networks) {
        StringBuilder ifaces = new StringBuilder();
        for (String n : networks) {
            ifaces.append("<interface type='network'><source network='").append(n).append("'/></interface>");
        }
        String xml = "<domain type='kvm'><name>" + name + "</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
                + "<devices>" + ifaces + "</devices>"
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'>" + hooks + "</hooks></metadata></domain>";
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }
}
