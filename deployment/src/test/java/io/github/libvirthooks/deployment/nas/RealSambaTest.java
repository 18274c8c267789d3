package io.github.libvirthooks.deployment.nas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOutcome;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.features.virtualnas.VirtualNasFeature;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * virtual-nas with the real {@code smbd} and {@code smbclient} from Debian's samba packages: the
 * feature starts its server inside a network namespace this test creates (standing in for the
 * host side of a libvirt network), and a client in a second namespace (the guest) lists, reads
 * and writes. Nothing listens in, or gets an address in, this machine's own network namespace.
 */
@Timeout(180)
class RealSambaTest {
    private static Netns netns;
    private static Optional<String> skip = Optional.empty();

    @TempDir
    Path tmp;
    Path root;
    Path share;
    StateDirectory state;
    List<String> lines;

    @BeforeAll
    static void namespaces() {
        skip = Netns.unavailable();
        if (skip.isEmpty() && !onPath("smbd", "/usr/sbin")) {
            skip = Optional.of("smbd is not installed (apt-get install samba)");
        }
        if (skip.isEmpty() && !onPath("smbclient", "/usr/bin")) {
            skip = Optional.of("smbclient is not installed (apt-get install smbclient)");
        }
        if (skip.isPresent()) {
            System.err.println("SKIPPED RealSambaTest: " + skip.get());
            return;
        }
        byte[] random = new byte[3];
        new SecureRandom().nextBytes(random);
        netns = Netns.create("lvh-nas-" + HexFormat.of().formatHex(random, 0, 2), random[2] & 0xff);
    }

    @AfterAll
    static void removeNamespaces() {
        if (netns != null) {
            netns.delete();
        }
    }

    @BeforeEach
    void host() throws IOException {
        assumeTrue(skip.isEmpty(), () -> "SKIPPED: " + skip.orElse(""));
        // Short: smbd's messaging socket lives at <run dir>/lock/msg.sock/<pid> and a socket path has 108 bytes at most.
        root = Files.createTempDirectory(Path.of("/tmp"), "s");
        share = Files.createDirectories(root.resolve("srv/share"));
        Files.writeString(share.resolve("hello.txt"), "hello from the host\n");
        Files.writeString(root.resolve("srv/secret.txt"), "outside the share\n");
        Files.createSymbolicLink(share.resolve("escape.txt"), Path.of("../secret.txt"));
        // smbd serves as nobody: the whole path down to the share must be traversable by it.
        for (Path p = share; p.startsWith(tmp.getParent()) && !p.equals(tmp.getParent()); p = p.getParent()) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(p.equals(share) ? "rwxrwxrwx" : "rwxr-xr-x"));
        }
        Files.setPosixFilePermissions(share.resolve("hello.txt"), PosixFilePermissions.fromString("rw-r--r--"));
        write("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        write("/run/libvirt/network/nas-test.xml", "<networkstatus><network><name>nas-test</name><bridge name='vs'/>"
                + "<ip address='" + netns.serverAddress() + "' prefix='24'/></network></networkstatus>");
        state = new StateDirectory(tmp.resolve("state"));
        lines = new ArrayList<>();
    }

    @org.junit.jupiter.api.AfterEach
    void removeRoot() throws IOException {
        if (root != null && Files.exists(root)) {
            try (var walk = Files.walk(root)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void aReadOnlyShareCanBeListedAndReadButNotWrittenAndListensNowhereElse() throws IOException {
        Domain vm = vm("<virtual-nas path='/srv/share' network='nas-test'/>");
        Set<String> hostListenersBefore = listeners(Optional.empty());
        run(vm, "prepare");
        try {
            CommandResult ls = smbclient("share", "ls");
            assertThat(ls.exitCode()).as(ls.stdout() + ls.stderr()).isZero();
            assertThat(ls.stdout()).contains("hello.txt");

            Path got = tmp.resolve("got.txt");
            CommandResult get = smbclient("share", "get hello.txt " + got);
            assertThat(get.exitCode()).as(get.stdout() + get.stderr()).isZero();
            assertThat(Files.readString(got)).isEqualTo("hello from the host\n");

            Path upload = Files.writeString(tmp.resolve("up.txt"), "from the guest\n");
            CommandResult put = smbclient("share", "put " + upload + " up.txt");
            assertThat(put.stdout() + put.stderr()).contains("NT_STATUS_ACCESS_DENIED");
            assertThat(share.resolve("up.txt")).doesNotExist();

            CommandResult escape = smbclient("share", "get escape.txt " + tmp.resolve("escaped.txt"));
            assertThat(escape.stdout() + escape.stderr()).as("a link out of the share").contains("NT_STATUS_OBJECT_NAME_NOT_FOUND");
            assertThat(tmp.resolve("escaped.txt")).doesNotExist();
            CommandResult up = smbclient("share", "get ..\\secret.txt " + tmp.resolve("up-dir.txt"));
            assertThat(tmp.resolve("up-dir.txt")).as(up.stdout() + up.stderr()).doesNotExist();

            CommandResult smb1 = smbclient("share", "ls", "--option=client min protocol=NT1", "--option=client max protocol=NT1");
            assertThat(smb1.exitCode()).as("SMB1 is off unless asked for").isNotZero();

            assertThat(listeners(Optional.of(netns.server()))).containsExactly(netns.serverAddress() + ":445");
            CommandResult other = netns.exec(netns.guest(), "smbclient", "-s", "/dev/null", "-N", "//" + netns.otherAddress() + "/share",
                    "-c", "ls");
            assertThat(other.stdout() + other.stderr()).contains("NT_STATUS_CONNECTION_REFUSED");
            assertThat(listeners(Optional.empty())).as("nothing new listens in this machine's namespace").isEqualTo(hostListenersBefore);
        } finally {
            HookOutcome released = run(vm, "release");
            assertThat(released.warnings()).isEmpty();
        }
        assertThat(ours()).as("no smbd or RPC helper left running").isEmpty();
        assertThat(root.resolve("run/libvirt-hooks/nas").toFile().list()).isEmpty();
        assertThat(smbclient("share", "ls").stdout() + "").doesNotContain("hello.txt");
    }

    @Test
    void aReadWriteShareForALegacyGuestTakesWritesOverSmb1AsNobody() throws IOException {
        Domain vm = vm("<virtual-nas path='/srv/share' network='nas-test' mode='rw' smb1='true' share='XPSHARE'/>");
        run(vm, "prepare");
        try {
            Path upload = Files.writeString(tmp.resolve("up.txt"), "from the guest\n");
            CommandResult put = smbclient("XPSHARE", "put " + upload + " up.txt", "--option=client min protocol=NT1",
                    "--option=client max protocol=NT1");
            assertThat(put.exitCode()).as(put.stdout() + put.stderr()).isZero();
            assertThat(Files.readString(share.resolve("up.txt"))).isEqualTo("from the guest\n");
            assertThat(Files.getAttribute(share.resolve("up.txt"), "unix:uid")).isEqualTo(65534);

            CommandResult smb3 = smbclient("XPSHARE", "mkdir newdir");
            assertThat(smb3.exitCode()).as(smb3.stdout() + smb3.stderr()).isZero();
            assertThat(share.resolve("newdir")).isDirectory();
        } finally {
            run(vm, "release");
        }
        assertThat(ours()).isEmpty();
    }

    private CommandResult smbclient(String shareName, String command, String... options) {
        List<String> argv = new ArrayList<>(List.of("smbclient", "-s", "/dev/null", "-N", "//" + netns.serverAddress() + "/" + shareName));
        argv.addAll(List.of(options));
        argv.addAll(List.of("-c", command));
        return netns.exec(netns.guest(), argv.toArray(String[]::new));
    }

    /** Local addresses of listening TCP sockets, in a namespace or in this machine's own. */
    private static Set<String> listeners(Optional<String> namespace) {
        CommandResult ss = namespace.isPresent() ? netns.exec(namespace.get(), "ss", "-Hltn")
                : Netns.COMMANDS.run(List.of("ss", "-Hltn"), Netns.TIMEOUT);
        return ss.orThrow().stdout().lines().map(l -> l.trim().split("\\s+")).filter(f -> f.length >= 4).map(f -> f[3])
                .collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    /** Processes started with a configuration file below this test's host root. */
    private List<Long> ours() {
        String marker = "--configfile=" + tmp.toString();
        return ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().arguments().map(a -> List.of(a).stream().anyMatch(s -> s.startsWith(marker))).orElse(false))
                .map(ProcessHandle::pid).toList();
    }

    private HookOutcome run(Domain vm, String op) {
        VirtualNasFeature feature = new VirtualNasFeature(List.of("ip", "netns", "exec", netns.server()));
        HookEngine engine = new HookEngine(HostRoot.at(root), CommandRunner.system(), state, List.of(feature), Duration.ofSeconds(10),
                Clock.systemUTC());
        return engine.run(HookInvocation.parse(List.of("qemu", vm.name(), op, op.equals("release") ? "end" : "begin", "-")), vm,
                vm.hooksConfig(), lines::add);
    }

    private void write(String hostPath, String text) throws IOException {
        Path file = root.resolve(hostPath.substring(1));
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private static boolean onPath(String name, String fallbackDir) {
        String path = System.getenv().getOrDefault("PATH", "") + ":" + fallbackDir;
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }

    private static Domain vm(String hooks) {
        String xml = "<domain type='kvm'><name>nas-vm</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><devices>"
                + "<interface type='network'><source network='nas-test'/></interface></devices>"
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'>" + hooks + "</hooks></metadata></domain>";
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }
}
