package io.github.libvirthooks.features.gpuhandoff;

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
import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.HostWriteListener;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.testkit.FakeHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@SuppressWarnings("unchecked")
class GpuHandoffFeatureTest {
    static final String GPU = "0000:01:00.0";
    static final String AUDIO = "0000:01:00.1";
    static final String GPU_DIR = FakeHost.PCI_BRIDGE_PATH + "/" + GPU;
    static final String AUDIO_DIR = FakeHost.PCI_BRIDGE_PATH + "/" + AUDIO;
    static final String MODULES = "amdgpu 9 0 - Live 0x0\nsnd_hda_intel 1 0 - Live 0x0\nvfio_pci 1 0 - Live 0x0";

    @TempDir
    Path tmp;
    FakeHost host;
    FakeGpuCommands fake;
    StateDirectory state;
    HostWriteListener extra = change -> { };

    @BeforeEach
    void singleGpuDesktop() {
        host = FakeHost.vfioDesktop(tmp.resolve("host"))
                .pciFunction(GPU, "amdgpu", 12, "0x030000", "0x1002")
                .pciFunction(AUDIO, "snd_hda_intel", 12, "0x040300", "0x1002")
                .bootVga(GPU, "card0", "renderD128")
                .vtconsoles()
                .platformFramebuffer("efi-framebuffer", "efi-framebuffer.0")
                .pciDriver("vfio-pci")
                .pciDriverModule("amdgpu", "amdgpu")
                .file("/proc/modules", MODULES)
                .file("/etc/passwd", "root:x:0:0::/root:/bin/sh\ngdm:x:120:120::/var/lib/gdm3:/bin/false\nalice:x:1000:1000::/home/alice:/bin/sh")
                .process(812, "Xorg", 120, "/system.slice/gdm.service", "/dev/dri/card0", "/dev/null");
        FakeGpuCommands.systemdWithGdm(host);
        fake = new FakeGpuCommands(host);
        state = new StateDirectory(tmp.resolve("state"));
    }

    @Test
    void theSingleGpuCaseStopsTheDisplayAndUnbindsEverythingThenReleaseGivesItAllBack() throws IOException {
        Map<String, byte[]> before = snapshot();
        run("prepare", "<gpu-handoff/>", hostdev(GPU, "yes"));
        assertThat(host.local(GPU_DIR + "/driver")).doesNotExist();
        assertThat(host.local(AUDIO_DIR + "/driver")).as("the card's audio function goes with it").doesNotExist();
        assertThat(host.read("/sys/class/vtconsole/vtcon1/bind")).isEqualTo("0");
        assertThat(Files.isSymbolicLink(host.local("/sys/bus/platform/drivers/efi-framebuffer/efi-framebuffer.0"))).isFalse();
        assertThat(host.read(FakeGpuCommands.UNITS + "/gdm.service")).isEqualTo("inactive");

        HookOutcome release = run("release", "<gpu-handoff/>", hostdev(GPU, "yes"));
        assertThat(release.warnings()).isEmpty();
        assertThat(host.read(FakeGpuCommands.UNITS + "/gdm.service")).isEqualTo("active");
        assertThat(snapshot()).as("host as before (but Xorg, which the display manager starts anew)")
                .isEqualTo(without(before, "proc/812"));
        assertThat(Files.list(tmp.resolve("state")).filter(p -> p.toString().endsWith(".journal"))).isEmpty();
    }

    @Test
    void aFramebufferConsoleThatComesBackUnderANewNumberIsFoundAndBound() {
        run("prepare", "<gpu-handoff/>", hostdev(GPU, "yes"));
        // What the kernel does (seen in the lab): fbcon leaves with the last framebuffer and, when
        // the driver binds again, registers under the lowest free number; here unbound, to be bound by us.
        host.deleteTree("/sys/class/vtconsole/vtcon1")
                .file("/sys/class/vtconsole/vtcon2/bind", "0").file("/sys/class/vtconsole/vtcon2/name", "(M) frame buffer device");
        List<String> lines = new java.util.ArrayList<>();
        Domain d = domain("<gpu-handoff/>", hostdev(GPU, "yes"));
        HookOutcome release = engine().run(HookInvocation.parse(List.of("qemu", "vm", "release", "end", "-")), d, d.hooksConfig(),
                lines::add);
        assertThat(release.warnings()).isEmpty();
        assertThat(host.read("/sys/class/vtconsole/vtcon2/bind")).isEqualTo("1");
        assertThat(host.read("/sys/class/vtconsole/vtcon0/bind")).as("the dummy console stays unbound").isEqualTo("0");
        assertThat(String.join("\n", lines)).contains("the framebuffer console vtcon1 came back as vtcon2, bound")
                .doesNotContain("consoles vtcon1 bound again");
    }

    @Test
    void aFramebufferConsoleThatDoesNotComeBackIsAWarningNotAClaimOfSuccess() {
        run("prepare", "<gpu-handoff/>", hostdev(GPU, "yes"));
        host.deleteTree("/sys/class/vtconsole/vtcon1");
        List<String> lines = new java.util.ArrayList<>();
        Domain d = domain("<gpu-handoff/>", hostdev(GPU, "yes"));
        engine().run(HookInvocation.parse(List.of("qemu", "vm", "release", "end", "-")), d, d.hooksConfig(), lines::add);
        assertThat(String.join("\n", lines)).contains("warn   gpu-handoff: the framebuffer console vtcon1 did not come back")
                .doesNotContain("consoles vtcon1 bound again");
        assertThat(host.read("/sys/class/vtconsole/vtcon0/bind")).as("the dummy console is no framebuffer console").isEqualTo("0");
    }

    @Test
    void planShowsTheDevicesTheCaseAndTheOrderedSteps() {
        FeaturePlan plan = plan("<gpu-handoff/>", hostdev(GPU, "yes"));
        assertThat(plan.refused()).isEmpty();
        assertThat(plan.effects()).containsEntry("devices", List.of(GPU, AUDIO)).containsEntry("case", "primary");
        assertThat(plan.effects().get("why").toString()).contains("boot_vga");
        assertThat(plan.effects().get("steps")).isEqualTo(List.of(
                "stop display-manager.service",
                "check that no process holds the GPU any more",
                "unbind the framebuffer consoles vtcon1",
                "unbind the firmware framebuffers efi-framebuffer/efi-framebuffer.0",
                "unbind 0000:01:00.0 from amdgpu",
                "unbind 0000:01:00.1 from snd_hda_intel",
                "leave 0000:01:00.0 to libvirt, which binds it to vfio-pci (managed='yes')",
                "leave 0000:01:00.1 to libvirt, which binds it to vfio-pci (managed='yes')"));
        assertThat(plan.commands()).containsExactly(List.of("systemctl", "stop", "display-manager.service"));
        assertThat(host.read(FakeGpuCommands.UNITS + "/gdm.service")).as("a plan changes nothing").isEqualTo("active");
    }

    @Test
    void aProcessOutsideTheDisplayManagerHoldingTheGpuRefusesWithItsNameAndNothingIsTouched() {
        host.process(3100, "nvidia-persiste", 0, "/system.slice/nvidia-persistenced.service", "/dev/dri/renderD128");
        Map<String, byte[]> before = snapshot();
        assertThatThrownBy(() -> run("prepare", "<gpu-handoff/>", hostdev(GPU, "yes"))).isInstanceOf(HookFailure.class)
                .hasMessageContaining("PID 3100 nvidia-persiste (user root) holds /dev/dri/renderD128")
                .hasMessageNotContaining("\n");
        assertThat(snapshot()).isEqualTo(before);
    }

    /**
     * NVIDIA's own driver serves every card through /dev/nvidia* (nvidia0, nvidiactl, nvidia-uvm):
     * a CUDA job holding only /dev/nvidiactl still blocks the unbind in the kernel, so it is a holder.
     * With another driver those nodes are not the card's.
     */
    @Test
    void withNvidiasDriverEveryDevNvidiaNodeCountsAsHoldingTheCard() {
        host.pciFunction(GPU, "nvidia", 12, "0x030000", "0x10de").pciDriverModule("nvidia", "nvidia")
                .process(4200, "python3", 1000, "/system.slice/cuda-job.service", "/dev/nvidiactl");
        Map<String, byte[]> before = snapshot();
        assertThatThrownBy(() -> run("prepare", "<gpu-handoff/>", hostdev(GPU, "yes"))).isInstanceOf(HookFailure.class)
                .hasMessageContaining("PID 4200 python3 (user alice) holds /dev/nvidiactl");
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void withAnotherDriverDevNvidiaNodesAreNotTheCards() {
        host.process(4200, "python3", 1000, "/system.slice/cuda-job.service", "/dev/nvidiactl");
        run("prepare", "<gpu-handoff/>", hostdev(GPU, "yes"));
        assertThat(host.local(GPU_DIR + "/driver")).doesNotExist();
        run("release", "<gpu-handoff/>", hostdev(GPU, "yes"));
    }

    @Test
    void aSessionThatSurvivesTheDisplayManagerIsNamedAndTheStartRollsBack() {
        host.process(2301, "kwin_wayland", 1000, "/user.slice/user-1000.slice/user@1000.service/session.slice/kwin.service",
                "/dev/dri/renderD128");
        Map<String, byte[]> before = snapshot();
        assertThatThrownBy(() -> run("prepare", "<gpu-handoff/>", hostdev(GPU, "yes"))).isInstanceOf(HookFailure.class)
                .hasMessageContaining("PID 2301 kwin_wayland (user alice)").hasMessageContaining("stop-user-sessions");
        assertThat(host.read(FakeGpuCommands.UNITS + "/gdm.service")).as("rolled back").isEqualTo("active");
        assertThat(snapshot()).isEqualTo(without(before, "proc/812"));
    }

    @Test
    void stopUserSessionsStopsTheUserUnitsThatHoldTheGpu() {
        host.process(2301, "kwin_wayland", 1000, "/user.slice/user-1000.slice/user@1000.service/session.slice/kwin.service",
                "/dev/dri/renderD128");
        run("prepare", "<gpu-handoff stop-user-sessions='true'/>", hostdev(GPU, "yes"));
        assertThat(host.read(FakeGpuCommands.UNITS + "/user@1000.service")).isEqualTo("inactive");
        assertThat(host.local(GPU_DIR + "/driver")).doesNotExist();
    }

    @Test
    void anUnbindThatDoesNotReturnIsReportedAndNothingElseIsTouched() throws Exception {
        // A FIFO nobody reads: the writer's open(2) waits without end, as NVIDIA's unbind does in write(2).
        Path unbind = host.local("/sys/bus/pci/drivers/amdgpu/unbind");
        Files.delete(unbind);
        assertThat(new ProcessBuilder("mkfifo", unbind.toString()).inheritIO().start().waitFor()).isZero();
        Map<String, byte[]> before = snapshot();
        assertThatThrownBy(() -> run("prepare", "<gpu-handoff timeout='1s'/>", hostdev(GPU, "yes")))
                .isInstanceOf(HookFailure.class).hasMessageContaining("unbind of 0000:01:00.0 from amdgpu did not return within 1s")
                .hasMessageContaining("libvirt-hooks restore");
        assertThat(host.local(AUDIO_DIR + "/driver")).as("no step after the hung one").exists();
        assertThat(host.read(FakeGpuCommands.UNITS + "/gdm.service")).as("nothing rolled back either").isEqualTo("inactive");
        assertThat(host.read("/sys/class/vtconsole/vtcon1/bind")).isEqualTo("0");
        HookOutcome restored = engine().restore("vm", line -> { });
        assertThat(restored.warnings()).isEmpty();
        assertThat(snapshot()).isEqualTo(without(before, "proc/812"));
    }

    @Test
    void theSecondGpuCaseOnlyUnbindsTheDriverAndLeavesTheDisplayAlone() {
        host.pciFunction("0000:00:02.0", "i915", 1, "0x030000", "0x8086").delete(GPU_DIR + "/boot_vga");
        FeaturePlan plan = plan("<gpu-handoff/>", hostdev(GPU, "yes"));
        assertThat(plan.effects()).containsEntry("case", "secondary");
        assertThat(plan.effects().get("why").toString()).contains("0000:00:02.0 (i915)");
        // Xorg holds the card: in the second-GPU case nothing stops it, so that is a refusal.
        assertThat(plan.refused()).get().asString().contains("PID 812 Xorg");
        host.deleteTree("/proc/812");
        run("prepare", "<gpu-handoff/>", hostdev(GPU, "yes"));
        assertThat(host.local(GPU_DIR + "/driver")).doesNotExist();
        assertThat(host.read(FakeGpuCommands.UNITS + "/gdm.service")).isEqualTo("active");
        assertThat(host.read("/sys/class/vtconsole/vtcon1/bind")).isEqualTo("1");
        run("release", "<gpu-handoff/>", hostdev(GPU, "yes"));
        assertThat(Files.isSymbolicLink(host.local(GPU_DIR + "/driver"))).isTrue();
    }

    @Test
    void aGroupMemberTheVmDoesNotGetIsNamed() {
        host.pciFunction("0000:02:00.0", "xhci_hcd", 12, "0x0c0330", "0x1022");
        assertThat(plan("<gpu-handoff/>", hostdev(GPU, "yes")).refused()).get().asString()
                .contains("IOMMU group 12 of 0000:01:00.0 also holds 0000:02:00.0 (driver xhci_hcd)");
    }

    @Test
    void noIommuNoResetNoDeviceAreRefusals() {
        assertThat(plan("<gpu-handoff devices='0000:05:00.0'/>", "").refused()).get().asString().contains("no PCI function 0000:05:00.0");
        assertThat(plan("<gpu-handoff/>", "").refused()).get().asString().contains("no <hostdev type='pci'>");
        // An integrated GPU on the root bus, without a reset method: nothing above it could reset the bus either.
        String igpu = "/sys/devices/pci0000:00/0000:00:03.0";
        host.file(igpu + "/class", "0x030000").file(igpu + "/reset_method", "")
                .link("/sys/bus/pci/devices/0000:00:03.0", "../../../devices/pci0000:00/0000:00:03.0")
                .link(igpu + "/iommu_group", "../../../kernel/iommu_groups/30")
                .link("/sys/kernel/iommu_groups/30/devices/0000:00:03.0", "../../../../devices/pci0000:00/0000:00:03.0");
        assertThat(plan("<gpu-handoff devices='0000:00:03.0'/>", "").refused()).get().asString()
                .contains("0000:00:03.0 cannot be reset");
        host.deleteTree("/sys/kernel/iommu_groups").dir("/sys/kernel/iommu_groups");
        assertThat(plan("<gpu-handoff/>", hostdev(GPU, "yes")).refused()).get().asString().contains("IOMMU is off")
                .contains("intel_iommu=on");
    }

    @Test
    void managedNoIsBoundToVfioWithDriverOverrideAndGivenBack() throws IOException {
        Map<String, byte[]> before = snapshot();
        FeaturePlan plan = plan("<gpu-handoff/>", hostdev(GPU, "no"));
        assertThat((List<Object>) plan.effects().get("steps")).contains((Object) "bind 0000:01:00.0 to vfio-pci with driver_override (managed='no')");
        run("prepare", "<gpu-handoff/>", hostdev(GPU, "no"));
        assertThat(host.read(GPU_DIR + "/driver_override")).isEqualTo("vfio-pci");
        assertThat(host.local(GPU_DIR + "/driver").toFile().getCanonicalFile().toString()).endsWith("vfio-pci");
        run("release", "<gpu-handoff/>", hostdev(GPU, "no"));
        assertThat(snapshot()).isEqualTo(without(before, "proc/812"));
    }

    @Test
    void unloadModulesTakesTheDriversModulesAndLoadsThemBack() {
        host.file("/proc/modules", "amdgpu_extra 1 0 - Live 0x0\n" + MODULES.replace("amdgpu 9 0 -", "amdgpu 9 1 amdgpu_extra,"));
        Map<String, byte[]> before = snapshot();
        FeaturePlan plan = plan("<gpu-handoff unload-modules='true'/>", hostdev(GPU, "yes"));
        assertThat((List<Object>) plan.effects().get("steps")).contains((Object) "unload the modules amdgpu_extra, amdgpu");
        run("prepare", "<gpu-handoff unload-modules='true'/>", hostdev(GPU, "yes"));
        assertThat(host.read("/proc/modules")).doesNotContain("amdgpu").contains("vfio_pci");
        run("release", "<gpu-handoff unload-modules='true'/>", hostdev(GPU, "yes"));
        assertThat(snapshot()).isEqualTo(without(before, "proc/812"));
    }

    @Test
    void badOptionsAreRefusedBeforeAnything() {
        assertThat(plan("<gpu-handoff devices='01:00.0'/>", "").refused()).get().asString().contains("invalid gpu-handoff devices");
        assertThat(plan("<gpu-handoff timeout='forever'/>", hostdev(GPU, "yes")).refused()).get().asString()
                .contains("invalid gpu-handoff timeout");
        assertThat(plan("<gpu-handoff display-manager='gdm; reboot'/>", hostdev(GPU, "yes")).refused()).get().asString()
                .contains("display-manager");
        assertThat(plan("<gpu-handoff colour='red'/>", hostdev(GPU, "yes")).refused()).get().asString().contains("unknown option");
    }

    @Test
    void claimsSurviveTheJournalAndAPlantedOneIsRefused() {
        GpuHandoffClaimCodec codec = GpuHandoffClaimCodec.INSTANCE;
        for (GpuHandoffClaim claim : List.of(
                new GpuHandoffClaim.DisplayManagerStopped("gdm.service", Duration.ofSeconds(10)),
                new GpuHandoffClaim.SessionsStopped(List.of("session-2.scope", "user@1000.service"), Duration.ofSeconds(3)),
                new GpuHandoffClaim.ConsolesUnbound(List.of("vtcon1")),
                new GpuHandoffClaim.FramebuffersUnbound(List.of(io.github.libvirthooks.sysfs.console.PlatformFramebuffer.parse(
                        "simple-framebuffer/simple-framebuffer.0"))),
                new GpuHandoffClaim.DriverUnbound(new io.github.libvirthooks.sysfs.pci.PciAddress(GPU), "nvidia", Duration.ofSeconds(10),
                        false),
                new GpuHandoffClaim.VfioBound(new io.github.libvirthooks.sysfs.pci.PciAddress(GPU), Duration.ofSeconds(10)),
                new GpuHandoffClaim.ModulesUnloaded(List.of("nvidia_drm", "nvidia"), 1, Duration.ofSeconds(10)))) {
            assertThat(codec.decode(codec.resource(claim), codec.encode(claim))).isEqualTo(claim);
        }
        assertThatThrownBy(() -> codec.decode("display-manager", Map.of("unit", "../../x", "timeout-ms", "1000")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> codec.decode("modules", Map.of("modules", "vfio_pci", "unloaded", "1", "timeout-ms", "1000")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> codec.decode("driver 0000:01:00.0", Map.of("device", "0000:02:00.0", "driver", "amdgpu",
                "timeout-ms", "1000", "done", "true"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> codec.decode("framebuffers", Map.of("framebuffers", "efi-framebuffer/../../etc")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---- helpers ----

    static String hostdev(String address, String managed) {
        String[] p = address.split("[:.]");
        return "<hostdev mode='subsystem' type='pci' managed='" + managed + "'><source><address domain='0x" + p[0] + "' bus='0x" + p[1]
                + "' slot='0x" + p[2] + "' function='0x" + p[3] + "'/></source></hostdev>";
    }

    static Domain domain(String hooks, String devices) {
        String xml = "<domain type='kvm'><name>vm</name><uuid>6f1c2b9e-0000-4000-8000-000000000018</uuid><memory unit='MiB'>64</memory>"
                + "<devices>" + devices + "</devices><metadata><hooks xmlns='urn:libvirt-hooks:1'>" + hooks + "</hooks></metadata></domain>";
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }

    HookEngine engine() {
        HostRoot root = host.host().withListener(extra);
        CommandRunner commands = (argv, timeout) -> fake.answer(argv).orElseThrow(() -> new AssertionError("unexpected " + argv));
        return new HookEngine(root, commands, state, List.of(new GpuHandoffFeature()), Duration.ofSeconds(5), Clock.systemUTC());
    }

    HookOutcome run(String op, String hooks, String devices) {
        Domain d = domain(hooks, devices);
        String sub = op.equals("release") ? "end" : "begin";
        return engine().run(HookInvocation.parse(List.of("qemu", "vm", op, sub, "-")), d, d.hooksConfig(), line -> { });
    }

    FeaturePlan plan(String hooks, String devices) {
        Domain d = domain(hooks, devices);
        return engine().plan(HookRequest.of(HookInvocation.parse(List.of("qemu", "vm", "prepare", "begin", "-")), d), d.hooksConfig())
                .get(0);
    }

    /** Every file and link of the host tree but the driver core's trigger files, which keep no state. */
    Map<String, byte[]> snapshot() {
        Map<String, byte[]> entries = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(host.root())) {
            for (Path p : walk.toList()) {
                String rel = host.root().relativize(p).toString();
                if (rel.startsWith("sys/bus/") && (rel.endsWith("/bind") || rel.endsWith("/unbind") || rel.endsWith("/drivers_probe"))) {
                    continue;
                }
                if (Files.isSymbolicLink(p)) {
                    entries.put(rel, ("link " + Files.readSymbolicLink(p)).getBytes(StandardCharsets.UTF_8));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    entries.put(rel, Files.readAllBytes(p));
                } else {
                    entries.put(rel, new byte[] {'d'});
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ComparableMap(entries);
    }

    static Map<String, byte[]> without(Map<String, byte[]> snapshot, String prefix) {
        Map<String, byte[]> kept = new TreeMap<>(snapshot);
        kept.keySet().removeIf(k -> k.equals(prefix) || k.startsWith(prefix + "/"));
        return new ComparableMap(kept);
    }

    /** A snapshot compared by content, shown as the paths that differ. */
    static final class ComparableMap extends TreeMap<String, byte[]> {
        ComparableMap(Map<String, byte[]> m) {
            super(m);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Map<?, ?> other && other.size() == size() && entrySet().stream().allMatch(e ->
                    other.get(e.getKey()) instanceof byte[] b && java.util.Arrays.equals(b, e.getValue()));
        }

        @Override
        public int hashCode() {
            return keySet().hashCode();
        }

        @Override
        public String toString() {
            List<String> shown = new ArrayList<>();
            forEach((k, v) -> shown.add(k + "=" + new String(v, StandardCharsets.UTF_8).replace("\n", "\\n")));
            return String.join("\n", shown);
        }
    }
}
