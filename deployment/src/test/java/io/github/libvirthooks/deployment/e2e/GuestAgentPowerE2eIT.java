package io.github.libvirthooks.deployment.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The power features' main path against a real guest OS and a real QEMU guest agent: the lab's
 * Debian image (systemd, qemu-guest-agent, the distribution's kernel) runs as a libvirt domain
 * on this machine's libvirtd, under software emulation ({@code type='qemu'}: a Linux kernel does
 * not boot under this machine's KVM), with the agent channel, S3 and S4 enabled and a swap disk
 * to hibernate to. One guest session is carried through every case; a marker the guest keeps
 * in tmpfs and its kernel's boot id prove that the same session came back each time.
 *
 * <ol>
 * <li>dosleep: {@code host-sleep pre} suspends the guest to RAM through the agent (libvirt says
 *     pmsuspended, not paused); {@code post} wakes it, same session.</li>
 * <li>dohibernate: {@code pre} hibernates it through the agent and the domain shuts off; the next
 *     {@code virsh start} resumes the same session from swap.</li>
 * <li>beforeoff-dohibernate: {@code host-shutdown --force} does the same.</li>
 * <li>with qemu-guest-agent stopped inside the guest, the fallbacks: dosleep pauses, dohibernate
 *     saves the memory with managedsave, each within its timeout.</li>
 * </ol>
 * The features are switched between cases with {@code virsh metadata}, as a user would.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GuestAgentPowerE2eIT {
    private static final Path WORK = Path.of("target/e2e-agent").toAbsolutePath();
    private static final Path LAB_IMAGE_SCRIPT = Path.of("lab/build-image.sh");
    private static final String NAME = "e2e-agent";
    private static final String NS = "urn:libvirt-hooks:1";
    private static final Duration BOOT = Duration.ofMinutes(6);
    private static final Pattern BUF = Pattern.compile("\"buf-b64\"\\s*:\\s*\"([^\"]*)\"");
    private static final Pattern HANDLE = Pattern.compile("\"return\"\\s*:\\s*(\\d+)");
    private static final Pattern PID = Pattern.compile("\"pid\"\\s*:\\s*(\\d+)");

    private static boolean installed;
    private static String marker;
    private static String bootId;
    /** What each case cost, printed at the end: the issue asks for the figures. */
    private static final List<String> timings = new ArrayList<>();

    @BeforeAll
    static void bootTheGuest() throws Exception {
        Libvirt.assumeRoot("guest agent end-to-end tests");
        Files.createDirectories(WORK);
        Libvirt.up(false);
        removeDomain();
        Path image = labImage();
        Path disk = WORK.resolve("root.img");
        Path swap = WORK.resolve("swap.img");
        Path console = WORK.resolve("console.log");
        Files.deleteIfExists(disk);
        Files.deleteIfExists(swap);
        Files.deleteIfExists(console);
        // A private copy of the cached image: the guest writes to it, and must find the same disk when it resumes.
        mustRun(List.of("cp", "--sparse=always", image.resolve("disk.img").toString(), disk.toString()), 300);
        mustRun(List.of("truncate", "-s", "1G", swap.toString()), 30);
        mustRun(List.of("mkswap", "-L", "e2e-swap", swap.toString()), 30);

        Path dist = Libvirt.distribution();
        Libvirt.Result install = Libvirt.run(List.of("sh", dist.resolve("installer.sh").toString(), "-i"), null, 300);
        assertThat(install.exit()).as(install.err() + install.out()).isZero();
        installed = true;
        Libvirt.up(true);

        Libvirt.define(WORK, domainXml(image, disk, swap, console));
        Instant started = Instant.now();
        Libvirt.Result start = Libvirt.virsh("start", NAME);
        assertThat(start.ok()).as(start.err()).isTrue();
        awaitAgent(BOOT, console);
        timings.add("boot to a responding agent: " + secondsSince(started) + " s");
        // The swap disk is the guest's hibernation target (and resume=/dev/vdb finds it at the next boot).
        guestExec("/sbin/swapon", "/dev/vdb");
        marker = UUID.randomUUID().toString();
        writeGuestFile("/run/e2e-marker", marker);
        bootId = readGuestFile("/proc/sys/kernel/random/boot_id").strip();
        assertThat(readGuestFile("/run/e2e-marker")).isEqualTo(marker);
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (installed) {
            removeDomain();
            Libvirt.Result uninstall = Libvirt.run(List.of("libvirt-hooks", "uninstall", "--force"), null, 120);
            assertThat(uninstall.exit()).as(uninstall.err()).isZero();
        }
        Files.deleteIfExists(WORK.resolve("root.img"));
        Files.deleteIfExists(WORK.resolve("swap.img"));
        System.out.println("[agent] " + String.join("; ", timings));
    }

    @Test
    @Order(1)
    void dosleepSuspendsTheGuestToRamThroughItsAgentAndWakesTheSameSession() throws Exception {
        setFeatures("<dosleep timeout='120s' trigger='manual'/>");
        Instant t = Instant.now();
        Libvirt.Result pre = hookCommand("host-sleep", "pre", "--timeout", "180s");
        assertThat(pre.exit()).as(pre.out() + pre.err()).isZero();
        assertThat(pre.out()).contains(NAME + ": guest agent asked to suspend to RAM");
        assertThat(state()).isEqualTo("pmsuspended");
        assertThat(Files.readString(Path.of("/run/libvirt-hooks/host-sleep.record"))).contains("pmsuspend ");
        timings.add("S3 through the agent: " + secondsSince(t) + " s");

        t = Instant.now();
        Libvirt.Result post = hookCommand("host-sleep", "post", "--timeout", "180s");
        assertThat(post.exit()).as(post.out() + post.err()).isZero();
        assertThat(post.out()).contains(NAME + ": woken from suspend-to-RAM");
        assertThat(state()).isEqualTo("running");
        awaitAgent(Duration.ofMinutes(2), WORK.resolve("console.log"));
        timings.add("wake from S3: " + secondsSince(t) + " s");
        assertSameSession("after S3 and wake-up");
    }

    @Test
    @Order(2)
    void dohibernateHibernatesTheGuestThroughItsAgentAndTheNextStartResumesIt() throws Exception {
        setFeatures("<dohibernate timeout='300s' trigger='manual'/>");
        Instant t = Instant.now();
        Libvirt.Result pre = hookCommand("host-sleep", "pre", "--timeout", "400s");
        assertThat(pre.exit()).as(pre.out() + pre.err()).isZero();
        assertThat(pre.out()).contains(NAME + ": guest agent asked to hibernate").contains(NAME + ": hibernated and shut off");
        assertThat(state()).isEqualTo("shut off");
        assertThat(managedSave()).as("hibernated by the guest itself, not saved by libvirt").isFalse();
        timings.add("S4 through the agent: " + secondsSince(t) + " s");
        assertThat(hookCommand("host-sleep", "post", "--timeout", "60s").exit()).isZero();
        assertThat(state()).as("no restart-after-resume: the VM stays off").isEqualTo("shut off");

        resumeFromHibernation();
    }

    @Test
    @Order(3)
    void beforeoffDohibernateHibernatesTheGuestAtHostShutdown() throws Exception {
        setFeatures("<beforeoff-dohibernate timeout='300s' trigger='manual'/>");
        Instant t = Instant.now();
        Libvirt.Result off = hookCommand("host-shutdown", "--force", "--timeout", "400s");
        assertThat(off.exit()).as(off.out() + off.err()).isZero();
        assertThat(off.out()).contains(NAME + ": guest agent asked to hibernate").contains(NAME + ": hibernated and shut off");
        assertThat(state()).isEqualTo("shut off");
        assertThat(managedSave()).isFalse();
        timings.add("S4 at host shutdown: " + secondsSince(t) + " s");

        resumeFromHibernation();
    }

    @Test
    @Order(4)
    void withTheAgentStoppedInsideTheGuestTheFallbacksApplyWithinTheirTimeouts() throws Exception {
        // The agent answers this one request, then systemd stops it.
        guestExecNoWait("/bin/systemctl", "stop", "qemu-guest-agent.service");
        awaitAgentGone(Duration.ofMinutes(1));

        setFeatures("<dosleep timeout='20s' trigger='manual'/>");
        Instant t = Instant.now();
        Libvirt.Result pre = hookCommand("host-sleep", "pre", "--timeout", "120s");
        long took = secondsSince(t);
        assertThat(pre.exit()).as(pre.out() + pre.err()).isZero();
        assertThat(pre.out()).contains(NAME + ": paused");
        assertThat(state()).isEqualTo("paused");
        assertThat(took).as("pre must end within its own budget").isLessThan(120);
        assertThat(hookCommand("host-sleep", "post", "--timeout", "60s").exit()).isZero();
        assertThat(state()).isEqualTo("running");
        timings.add("dosleep fallback (pause) without an agent: " + took + " s");

        setFeatures("<dohibernate fallback='managedsave' timeout='20s' trigger='manual'/>");
        t = Instant.now();
        pre = hookCommand("host-sleep", "pre", "--timeout", "300s");
        took = secondsSince(t);
        // A guest that was asked to hibernate and could not is a warning (exit 1), and the fallback applies.
        assertThat(pre.exit()).as(pre.out() + pre.err()).isEqualTo(1);
        assertThat(pre.out()).contains(NAME + ": the guest agent did not take the hibernation request")
                .contains(NAME + ": memory saved by libvirt (managedsave)");
        assertThat(state()).isEqualTo("shut off");
        assertThat(managedSave()).isTrue();
        assertThat(took).isLessThan(300);
        timings.add("dohibernate fallback (managedsave) without an agent: " + took + " s");
        assertThat(hookCommand("host-sleep", "post", "--timeout", "60s").exit()).isZero();
        Libvirt.Result start = Libvirt.virsh("start", NAME);
        assertThat(start.ok()).as(start.err()).isTrue();
        assertThat(state()).isEqualTo("running");
    }

    // --- the guest -----------------------------------------------------------------------

    private static String domainXml(Path image, Path disk, Path swap, Path console) {
        // lab-run is the lab's own runner; libvirt inside the guest is not needed here.
        String masked = String.join(" ", List.of("lab-run.service", "libvirtd.service", "libvirtd.socket", "libvirtd-ro.socket",
                "libvirtd-admin.socket", "virtlogd.socket", "virtlockd.socket", "systemd-machined.service").stream()
                .map(u -> "systemd.mask=" + u).toList());
        return "<domain type='qemu'>"
                + "<name>" + NAME + "</name>"
                + "<metadata><hooks xmlns='" + NS + "'/></metadata>"
                + "<memory unit='MiB'>512</memory>"
                + "<vcpu>2</vcpu>"
                + "<os><type arch='x86_64' machine='pc'>hvm</type>"
                + "<kernel>" + image.resolve("vmlinuz") + "</kernel><initrd>" + image.resolve("initrd.img") + "</initrd>"
                + "<cmdline>root=/dev/vda rw console=ttyS0 resume=/dev/vdb " + masked + "</cmdline></os>"
                + "<features><acpi/></features>"
                + "<pm><suspend-to-mem enabled='yes'/><suspend-to-disk enabled='yes'/></pm>"
                + "<on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>"
                + "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
                + "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='" + disk + "'/>"
                + "<target dev='vda' bus='virtio'/></disk>"
                + "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='" + swap + "'/>"
                + "<target dev='vdb' bus='virtio'/></disk>"
                + "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
                + "<serial type='file'><source path='" + console + "' append='on'/><target port='0'/></serial>"
                + "<memballoon model='none'/>"
                + "</devices></domain>";
    }

    private static Path labImage() {
        Libvirt.Result built = Libvirt.run(List.of(LAB_IMAGE_SCRIPT.toString()), null, 1200);
        assertThat(built.exit()).as("lab/build-image.sh: " + built.err()).isZero();
        String[] lines = built.out().strip().split("\n");
        Path image = Path.of(lines[lines.length - 1]);
        assertThat(image.resolve("complete")).exists();
        return image;
    }

    private static void setFeatures(String features) {
        for (String where : List.of("--live", "--config")) {
            Libvirt.Result r = Libvirt.virsh("metadata", NAME, NS, "--key", "hooks", "--set", "<hooks>" + features + "</hooks>", where);
            assertThat(r.ok()).as("virsh metadata " + where + ": " + r.err()).isTrue();
        }
    }

    private static void resumeFromHibernation() throws Exception {
        Instant t = Instant.now();
        Libvirt.Result start = Libvirt.virsh("start", NAME);
        assertThat(start.ok()).as(start.err()).isTrue();
        awaitAgent(BOOT, WORK.resolve("console.log"));
        timings.add("resume from S4: " + secondsSince(t) + " s");
        assertSameSession("after hibernation and the next start");
        // swap stays on across hibernation; say so if it did not.
        assertThat(readGuestFile("/proc/swaps")).contains("/dev/vdb");
    }

    private static void assertSameSession(String when) throws Exception {
        assertThat(readGuestFile("/proc/sys/kernel/random/boot_id").strip()).as("the guest's boot id " + when).isEqualTo(bootId);
        assertThat(readGuestFile("/run/e2e-marker")).as("the tmpfs marker " + when).isEqualTo(marker);
    }

    private static String state() {
        return Libvirt.virsh("domstate", NAME).out().strip();
    }

    private static boolean managedSave() {
        return Libvirt.virsh("dominfo", NAME).out().lines().anyMatch(l -> l.matches("Managed save:\\s+yes"));
    }

    private static Libvirt.Result hookCommand(String... args) {
        List<String> argv = new ArrayList<>(List.of("libvirt-hooks"));
        argv.addAll(List.of(args));
        return Libvirt.run(argv, null, 900);
    }

    // --- the guest agent, through virsh ----------------------------------------------------

    private static Optional<String> agent(String json, int timeoutSeconds) {
        Libvirt.Result r = Libvirt.run(List.of("virsh", "--connect", "qemu:///system", "qemu-agent-command", NAME,
                "--timeout", Integer.toString(timeoutSeconds), json), null, timeoutSeconds + 30);
        return r.ok() ? Optional.of(r.out()) : Optional.empty();
    }

    private static String mustAgent(String json) {
        return agent(json, 30).orElseThrow(() -> new AssertionError("the guest agent did not answer " + json));
    }

    private static void awaitAgent(Duration limit, Path console) throws Exception {
        Instant deadline = Instant.now().plus(limit);
        while (Instant.now().isBefore(deadline)) {
            if (agent("{\"execute\":\"guest-ping\"}", 5).isPresent()) {
                return;
            }
            Thread.sleep(2000);
        }
        String tail = Files.exists(console) ? String.join("\n", lastLines(Files.readAllLines(console, StandardCharsets.ISO_8859_1), 30)) : "";
        throw new AssertionError("the guest agent did not answer within " + limit.toSeconds() + " s (state "
                + state() + "); the guest's console ends:\n" + tail);
    }

    private static void awaitAgentGone(Duration limit) throws InterruptedException {
        Instant deadline = Instant.now().plus(limit);
        while (Instant.now().isBefore(deadline)) {
            if (agent("{\"execute\":\"guest-ping\"}", 3).isEmpty()) {
                return;
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("qemu-guest-agent still answers " + limit.toSeconds() + " s after it was stopped");
    }

    private static String readGuestFile(String path) {
        String open = mustAgent("{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"" + path + "\",\"mode\":\"r\"}}");
        String handle = group(HANDLE, open, "handle");
        try {
            String read = mustAgent("{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":" + handle + ",\"count\":65536}}");
            return new String(Base64.getDecoder().decode(group(BUF, read, "buf-b64")), StandardCharsets.UTF_8);
        } finally {
            mustAgent("{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":" + handle + "}}");
        }
    }

    private static void writeGuestFile(String path, String content) {
        String open = mustAgent("{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"" + path + "\",\"mode\":\"w\"}}");
        String handle = group(HANDLE, open, "handle");
        String b64 = Base64.getEncoder().encodeToString(content.getBytes(StandardCharsets.UTF_8));
        mustAgent("{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":" + handle + ",\"buf-b64\":\"" + b64 + "\"}}");
        mustAgent("{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":" + handle + "}}");
    }

    /** Runs a program in the guest and waits for it to exit 0. */
    private static void guestExec(String path, String... args) throws InterruptedException {
        String pid = group(PID, mustAgent(execJson(path, args)), "pid");
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            String status = mustAgent("{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":" + pid + "}}");
            if (status.contains("\"exited\":true") || status.contains("\"exited\": true")) {
                assertThat(status).as("guest-exec " + path + " " + String.join(" ", args)).containsPattern("\"exitcode\"\\s*:\\s*0");
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("guest-exec " + path + " did not finish within 60 s");
    }

    private static void guestExecNoWait(String path, String... args) {
        mustAgent(execJson(path, args));
    }

    private static String execJson(String path, String... args) {
        StringBuilder arg = new StringBuilder();
        for (String a : args) {
            arg.append(arg.length() == 0 ? "" : ",").append('"').append(a).append('"');
        }
        return "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"" + path + "\",\"arg\":[" + arg + "],\"capture-output\":true}}";
    }

    private static String group(Pattern p, String text, String what) {
        Matcher m = p.matcher(text);
        if (!m.find()) {
            throw new AssertionError("no " + what + " in the agent's answer: " + text);
        }
        return m.group(1);
    }

    private static List<String> lastLines(List<String> lines, int n) {
        return lines.subList(Math.max(0, lines.size() - n), lines.size());
    }

    private static long secondsSince(Instant t) {
        return Duration.between(t, Instant.now()).toSeconds();
    }

    private static void mustRun(List<String> argv, int timeoutSeconds) {
        Libvirt.Result r = Libvirt.run(argv, null, timeoutSeconds);
        assertThat(r.exit()).as(String.join(" ", argv) + ": " + r.err()).isZero();
    }

    private static void removeDomain() {
        Libvirt.virsh("destroy", NAME);
        Libvirt.virsh("managedsave-remove", NAME);
        Libvirt.virsh("undefine", "--managed-save", NAME);
        try {
            Files.deleteIfExists(Path.of("/run/libvirt-hooks/host-sleep.record"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
