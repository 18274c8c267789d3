package io.github.libvirthooks.sysfs.usb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.FakeTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsbDeviceTest {
    @TempDir
    Path tmp;

    /** A keyboard at 1-2 with its two interfaces under the bus's links, the first bound to usbhid. */
    private FakeTree keyboard() throws Exception {
        FakeTree tree = new FakeTree(tmp).file("/sys/devices/usb/1-2/idVendor", "046d").file("/sys/devices/usb/1-2/idProduct", "c52b")
                .file("/sys/devices/usb/1-2/busnum", "1").file("/sys/devices/usb/1-2/devnum", "5")
                .file("/sys/devices/usb/1-2/authorized", "1").dir("/sys/devices/usb/1-2/1-2:1.0").dir("/sys/devices/usb/1-2/1-2:1.1")
                .file("/sys/bus/usb/drivers/usbhid/bind", "").dir("/sys/bus/usb/devices").dir("/sys/devices/usb/usb1");
        link(tree, "/sys/bus/usb/devices/1-2", "../../../devices/usb/1-2");
        link(tree, "/sys/bus/usb/devices/usb1", "../../../devices/usb/usb1");
        link(tree, "/sys/bus/usb/devices/1-2:1.0", "../../../devices/usb/1-2/1-2:1.0");
        link(tree, "/sys/bus/usb/devices/1-2:1.1", "../../../devices/usb/1-2/1-2:1.1");
        link(tree, "/sys/devices/usb/1-2/1-2:1.0/driver", "../../../../bus/usb/drivers/usbhid");
        return tree;
    }

    private static void link(FakeTree tree, String at, String target) throws Exception {
        Files.createSymbolicLink(tree.local(at), Path.of(target));
    }

    @Test
    void readsIdsAddressInterfacesAndTheirDrivers() throws Exception {
        FakeTree tree = keyboard();
        UsbDevice d = new UsbDevice(tree.host(), "1-2");

        assertThat(UsbDevice.all(tree.host())).extracting(UsbDevice::port).containsExactly("1-2");
        assertThat(d.vendor()).isEqualTo(OptionalInt.of(0x046d));
        assertThat(d.product()).isEqualTo(OptionalInt.of(0xc52b));
        assertThat(d.busnum()).isEqualTo(OptionalInt.of(1));
        assertThat(d.devnum()).isEqualTo(OptionalInt.of(5));
        assertThat(d.authorized()).isTrue();
        assertThat(d.interfaces()).containsExactly("1-2:1.0", "1-2:1.1");
        assertThat(d.interfaceDriver("1-2:1.0")).contains("usbhid");
        assertThat(d.interfaceDriver("1-2:1.1")).isEmpty();
        assertThat(UsbDevice.driverLoaded(tree.host(), "usbhid")).isTrue();
    }

    @Test
    void bindWritesTheInterfaceToTheDriversBindFileAndAuthorizeTheSwitch() throws Exception {
        FakeTree tree = keyboard();
        UsbDevice d = new UsbDevice(tree.host(), "1-2");

        d.bind("1-2:1.1", "usbhid", Duration.ofSeconds(1));
        assertThat(tree.content("/sys/bus/usb/drivers/usbhid/bind")).isEqualTo("1-2:1.1");
        assertThat(d.authorize(false).before()).isEqualTo("1");
        assertThat(d.authorized()).isFalse();
    }

    @Test
    void namesFromAJournalOrTheXmlAreCheckedBeforeAnyPathIsMade() throws Exception {
        FakeTree tree = keyboard();
        assertThatThrownBy(() -> new UsbDevice(tree.host(), "../../etc")).isInstanceOf(IllegalArgumentException.class);
        UsbDevice d = new UsbDevice(tree.host(), "1-2");
        assertThatThrownBy(() -> d.bind("1-3:1.0", "usbhid", Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.bind("1-2:1.0", "../x", Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(UsbDevice.isPort("usb1")).isFalse();
    }
}
