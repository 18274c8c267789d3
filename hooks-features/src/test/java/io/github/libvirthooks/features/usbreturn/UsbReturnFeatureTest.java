package io.github.libvirthooks.features.usbreturn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlException;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.FeaturePlan;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOutcome;
import io.github.libvirthooks.features.engine.HookRequest;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.HostWriteListener;
import io.github.libvirthooks.sysfs.exec.RecordingCommandRunner;
import io.github.libvirthooks.testkit.FakeHost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsbReturnFeatureTest {
    private static final String KEYBOARD = "<hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='0x046d'/>"
            + "<product id='0xc52b'/></source></hostdev>";
    private static final String XHCI = "0000:05:00.0";
    private static final String CONTROLLER = "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000'"
            + " bus='0x05' slot='0x00' function='0x0'/></source></hostdev>";
    private static final String IFACE0 = "/sys/devices/usb/1-2/1-2:1.0/driver";

    @TempDir
    Path tmp;
    FakeHost fake;
    StateDirectory state;
    List<String> lines;

    @BeforeEach
    void host() {
        fake = FakeHost.at(tmp.resolve("host")).smtCpus(4).kernelWrites()
                .usbDevice("1-2", "046d", "c52b", 1, 5, "usbhid", "usbhid")
                .usbDevice("1-3", "1234", "5678", 1, 6, "snd-usb-audio")
                .pciFunction(XHCI, "xhci_hcd", 14, "0x0c0330", "0x1912");
        state = new StateDirectory(tmp.resolve("state"));
        lines = new ArrayList<>();
    }

    @Test
    void interfacesQemuDidNotGiveBackAreBoundToTheirDriversAgain() throws IOException {
        Domain vm = vm("<usb-return/>", KEYBOARD);
        prepare(vm);
        fake.usbDetached("1-2");
        assertThat(Files.isSymbolicLink(fake.local(IFACE0))).isFalse();

        release(vm);

        assertThat(Files.readSymbolicLink(fake.local(IFACE0)).toString()).endsWith("/drivers/usbhid");
        assertThat(Files.isSymbolicLink(fake.local("/sys/devices/usb/1-2/1-2:1.1/driver"))).isTrue();
        assertThat(lines).contains("undo   usb-return: 1-2 (046d:c52b) back on usbhid: bound 1-2:1.0 to usbhid, bound 1-2:1.1 to usbhid");
        assertThat(fake.read("/sys/devices/usb/1-2/authorized")).isEqualTo("1");
        assertThat(state.loadAll(new ArrayList<>())).isEmpty();
    }

    @Test
    void aDeviceThatCameBackByItselfIsOnlyReported() {
        Domain vm = vm("<usb-return/>", KEYBOARD);
        prepare(vm);
        release(vm);
        assertThat(lines).contains("info   usb-return: 1-2 (046d:c52b) came back by itself (usbhid)");
    }

    @Test
    void aRefusedBindIsFollowedByAReAuthorization() {
        Domain vm = vm("<usb-return/>", KEYBOARD);
        prepare(vm);
        fake.usbDetached("1-2");
        List<String> writes = new ArrayList<>();
        HostRoot host = fake.host().withListener(new HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) {
                writes.add(intended.path() + " = " + intended.after());
            }

            @Override
            public void beforeTrigger(String path, String value) throws IOException {
                if (path.endsWith("/usbhid/bind")) {
                    throw new IOException("No such device");
                }
            }
        });

        HookOutcome outcome = engine(host).run(event("release"), vm, vm.hooksConfig(), lines::add);

        assertThat(outcome.warnings()).isEmpty();
        assertThat(writes).containsExactly("/sys/bus/usb/devices/1-2/authorized = 0", "/sys/bus/usb/devices/1-2/authorized = 1");
        assertThat(Files.isSymbolicLink(fake.local(IFACE0))).isTrue();
        assertThat(lines).anyMatch(l -> l.startsWith("undo   usb-return: 1-2 (046d:c52b) back on usbhid: re-authorized it"));
    }

    @Test
    void aDeviceNamedByItsAddressIsFoundByBusnumAndDevnum() {
        Domain vm = vm("<usb-return/>", "<hostdev mode='subsystem' type='usb'><source><address bus='1' device='6'/></source></hostdev>");
        prepare(vm);
        assertThat(state.load("win10", "").entries()).singleElement().satisfies(e -> {
            assertThat(e.key()).isEqualTo("usb 1-3");
            assertThat(e.values()).containsEntry("driver:1-3:1.0", "snd-usb-audio").containsEntry("ids", "1234:5678");
        });
    }

    @Test
    void aDeviceUnpluggedWhileTheVmRanIsNothingToGiveBack() {
        Domain vm = vm("<usb-return/>", KEYBOARD);
        prepare(vm);
        fake.deleteTree("/sys/bus/usb/devices/1-2").deleteTree("/sys/bus/usb/devices/1-2:1.0").deleteTree("/sys/bus/usb/devices/1-2:1.1");
        release(vm);
        assertThat(lines).contains("info   usb-return: 046d:c52b (was 1-2) is not plugged in; nothing to give back");
        assertThat(state.loadAll(new ArrayList<>())).isEmpty();
    }

    @Test
    void aDeviceWhoseDriverIsGoneStaysClaimedUntilRestoreFindsItBack() {
        Domain vm = vm("<usb-return timeout='200ms'/>", KEYBOARD);
        prepare(vm);
        fake.usbDetached("1-2").deleteTree("/sys/bus/usb/drivers/usbhid");

        HookOutcome outcome = engine(fake.host()).run(event("release"), vm, vm.hooksConfig(), lines::add);

        assertThat(outcome.warnings()).singleElement().asString().contains("1-2 (046d:c52b) has no driver on 1-2:1.0, 1-2:1.1")
                .contains("unplug and plug it in again");
        assertThat(state.load("win10", "").entries()).hasSize(1);
        fake.usbDriver("usbhid");
        assertThat(engine(fake.host()).restore("win10", lines::add).warnings()).isEmpty();
        assertThat(Files.isSymbolicLink(fake.local(IFACE0))).isTrue();
        assertThat(state.loadAll(new ArrayList<>())).isEmpty();
    }

    @Test
    void aUsbControllerLeftWithoutADriverIsBoundToItsHostDriverAgain() {
        Domain vm = vm("<usb-return/>", CONTROLLER);
        prepare(vm);
        fake.pciUnbound(XHCI);

        release(vm);

        assertThat(fake.local("/sys/bus/pci/drivers/xhci_hcd/" + XHCI)).isSymbolicLink();
        assertThat(lines).contains("undo   usb-return: USB controller " + XHCI + " back on xhci_hcd: bound it to xhci_hcd");
    }

    @Test
    void aUsbControllerStillOnVfioPciIsUnboundAndGivenBack() {
        Domain vm = vm("<usb-return/>", CONTROLLER);
        prepare(vm);
        fake.pciUnbound(XHCI).pciDriver("vfio-pci")
                .link(FakeHost.PCI_BRIDGE_PATH + "/" + XHCI + "/driver", "../../../../bus/pci/drivers/vfio-pci")
                .link("/sys/bus/pci/drivers/vfio-pci/" + XHCI, "../../../../devices/pci0000:00/0000:00:01.0/" + XHCI);

        release(vm);

        assertThat(fake.local("/sys/bus/pci/drivers/xhci_hcd/" + XHCI)).isSymbolicLink();
        assertThat(fake.local("/sys/bus/pci/drivers/vfio-pci/" + XHCI)).doesNotExist();
        assertThat(lines).contains("undo   usb-return: USB controller " + XHCI + " back on xhci_hcd: unbound it from vfio-pci,"
                + " bound it to xhci_hcd");
    }

    @Test
    void aPciFunctionThatIsNoUsbControllerIsNotClaimed() {
        fake.pciFunction("0000:01:00.0", "amdgpu", 12, "0x030000", "0x1002");
        Domain vm = vm("<usb-return/>", "<hostdev mode='subsystem' type='pci' managed='yes'><source><address bus='0x01' slot='0x00'"
                + " function='0x0'/></source></hostdev>");
        prepare(vm);
        assertThat(state.load("win10", "").entries()).isEmpty();
        assertThat(lines).contains("info   usb-return: the VM passes no host USB device or USB controller; nothing to give back");
    }

    @Test
    void planShowsTheDevicesAndChangesNothing() {
        Domain vm = vm("<usb-return/>", KEYBOARD + CONTROLLER);
        FeaturePlan plan = engine(fake.host()).plan(HookRequest.of(event("prepare"), vm), vm.hooksConfig()).get(0);
        assertThat(plan.refused()).isEmpty();
        assertThat(plan.effects().get("devices")).asList().containsExactly("USB device 1-2 (046d:c52b) on usbhid",
                "USB controller " + XHCI + " on xhci_hcd");
        assertThat(plan.writes()).isEmpty();
        assertThat(plan.claims()).hasSize(2);
        assertThat(state.loadAll(new ArrayList<>())).isEmpty();
    }

    @Test
    void theDomainXmlNamesUsbDevicesByIdsOrAddress() {
        Domain vm = vm("", KEYBOARD + "<hostdev mode='subsystem' type='usb'><source><address bus='0x3' device='12'/></source></hostdev>");
        assertThat(vm.usbHostdevs()).containsExactly(
                new Domain.UsbHostdev(OptionalInt.of(0x046d), OptionalInt.of(0xc52b), OptionalInt.empty(), OptionalInt.empty()),
                new Domain.UsbHostdev(OptionalInt.empty(), OptionalInt.empty(), OptionalInt.of(3), OptionalInt.of(12)));
        assertThat(vm("", "<hostdev mode='subsystem' type='usb'><source><vendor id='0x046d'/></source></hostdev>").usbHostdevs())
                .as("a vendor alone, which libvirt refuses, still names that vendor's devices").singleElement()
                .satisfies(h -> assertThat(h.describe()).isEqualTo("046d:*"));
        assertThatThrownBy(() -> vm("", "<hostdev mode='subsystem' type='usb'><source><vendor id='zz'/><product id='1'/></source>"
                + "</hostdev>")).isInstanceOf(DomainXmlException.class);
    }

    @Test
    void theClaimRefusesAPlantedPortOrDriver() {
        UsbReturnClaimCodec codec = UsbReturnClaimCodec.INSTANCE;
        assertThat(codec.decode("usb 1-2", java.util.Map.of("ids", "046d:c52b", "driver:1-2:1.0", "usbhid", "timeout-ms", "10000")))
                .isEqualTo(new UsbReturnClaim.Device("1-2", 0x046d, 0xc52b, java.util.Map.of("1-2:1.0", "usbhid"), Duration.ofSeconds(10)));
        assertThatThrownBy(() -> codec.decode("usb ../../x", java.util.Map.of("ids", "046d:c52b", "timeout-ms", "1")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> codec.decode("usb 1-2", java.util.Map.of("ids", "046d:c52b", "driver:1-3:1.0", "usbhid",
                "timeout-ms", "1"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> codec.decode("pci 0000:05:00.0", java.util.Map.of("driver", "vfio-pci", "timeout-ms", "1")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> codec.decode("pci 0000:05:00.0", java.util.Map.of("driver", "../x", "timeout-ms", "1")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private void prepare(Domain vm) {
        engine(fake.host()).run(event("prepare"), vm, vm.hooksConfig(), lines::add);
    }

    private void release(Domain vm) {
        HookOutcome outcome = engine(fake.host()).run(event("release"), vm, vm.hooksConfig(), lines::add);
        assertThat(outcome.warnings()).isEmpty();
    }

    private HookEngine engine(HostRoot host) {
        return new HookEngine(host, new RecordingCommandRunner((argv, timeout) -> {
            throw new AssertionError("usb-return runs no command: " + argv);
        }), state, List.of(new UsbReturnFeature()), Duration.ofSeconds(5), Clock.systemUTC());
    }

    static HookInvocation event(String op) {
        return HookInvocation.parse(List.of("qemu", "win10", op, op.equals("release") ? "end" : "begin", "-"));
    }

    static Domain vm(String hooks, String devices) {
        String xml = "<domain type='kvm'><name>win10</name><memory unit='MiB'>64</memory><vcpu>2</vcpu><devices>" + devices
                + "</devices><metadata><hooks xmlns='urn:libvirt-hooks:1'>" + hooks + "</hooks></metadata></domain>";
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }
}
