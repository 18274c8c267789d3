package io.github.libvirthooks.features.usbreturn;

import io.github.libvirthooks.sysfs.pci.PciAddress;
import io.github.libvirthooks.sysfs.usb.UsbDevice;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A host device the VM takes, with the host drivers it had at prepare: what release makes sure
 * it has again. Checked again when read back: a planted journal must not turn the return into
 * "bind anything to anything".
 */
sealed interface UsbReturnClaim {
    /** The journal key. */
    String resource();

    Duration timeout();

    /**
     * A USB device and the driver of each of its interfaces at prepare.
     *
     * @param port       its port path ({@code 1-2})
     * @param vendor     {@code idVendor}, to find it again if it moved and to tell it from another device on the port
     * @param product    {@code idProduct}
     * @param interfaces interface ({@code 1-2:1.0}) to its driver at prepare; interfaces with none are not listed
     */
    record Device(String port, int vendor, int product, Map<String, String> interfaces, Duration timeout) implements UsbReturnClaim {
        public Device {
            require(UsbDevice.isPort(port), "USB port '" + port + "'");
            require(vendor >= 0 && vendor <= 0xffff && product >= 0 && product <= 0xffff, "USB ids");
            interfaces = Collections.unmodifiableMap(new TreeMap<>(interfaces));
            interfaces.forEach((i, d) -> {
                require(UsbDevice.isInterfaceOf(port, i), "interface '" + i + "' of " + port);
                require(UsbDevice.isDriver(d), "driver '" + d + "'");
            });
        }

        @Override
        public String resource() {
            return "usb " + port;
        }

        String ids() {
            return String.format("%04x:%04x", vendor, product);
        }
    }

    /** A USB controller passed as a PCI function, and its host driver at prepare ({@code xhci_hcd}). */
    record Controller(PciAddress address, String driver, Duration timeout) implements UsbReturnClaim {
        public Controller {
            require(UsbDevice.isDriver(driver) && !driver.equals("vfio-pci"), "driver '" + driver + "'");
        }

        @Override
        public String resource() {
            return "pci " + address.text();
        }
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("invalid " + what);
        }
    }
}
