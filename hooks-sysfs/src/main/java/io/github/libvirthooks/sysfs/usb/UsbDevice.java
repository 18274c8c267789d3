package io.github.libvirthooks.sysfs.usb;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.pci.AbandonableWrite;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * One USB device under {@code /sys/bus/usb/devices/<port>} ({@code 1-2}, {@code 3-1.4}): its
 * ids and address ({@code idVendor}, {@code idProduct}, {@code busnum}, {@code devnum}), its
 * {@code authorized} switch, and its interfaces ({@code 1-2:1.0}), each bound to a driver
 * through a {@code driver} link. QEMU claims the interfaces through usbfs for a passed-through
 * device and asks the kernel to re-attach their drivers when it lets go, which does not always
 * happen; binding an interface again ({@code drivers/<driver>/bind}) or re-authorizing the
 * device (0 then 1, which re-enumerates it and probes every interface) brings it back.
 */
public final class UsbDevice {
    public static final String DEVICES = "/sys/bus/usb/devices";
    public static final String DRIVERS = "/sys/bus/usb/drivers";
    /** A device's port path: bus, then hub ports ({@code 1-2}, {@code 3-1.4.2}); root hubs ({@code usb1}) are no passthrough devices. */
    private static final Pattern PORT = Pattern.compile("[0-9]{1,3}-[0-9]{1,3}(\\.[0-9]{1,3}){0,6}");
    private static final Pattern INTERFACE_SUFFIX = Pattern.compile(":[0-9]{1,3}\\.[0-9]{1,3}");
    private static final Pattern DRIVER = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}");

    private final HostRoot host;
    private final String port;

    /** The device at {@code port}. */
    public UsbDevice(HostRoot host, String port) {
        this.host = Objects.requireNonNull(host, "host");
        if (!isPort(port)) {
            throw new IllegalArgumentException("invalid USB port '" + port + "': expected BUS-PORT[.PORT...] such as 1-2 or 3-1.4");
        }
        this.port = port;
    }

    public static boolean isPort(String port) {
        return port != null && PORT.matcher(port).matches();
    }

    /** True for an interface of {@code port} ({@code 1-2:1.0}). */
    public static boolean isInterfaceOf(String port, String name) {
        return name != null && name.startsWith(port + ":") && INTERFACE_SUFFIX.matcher(name.substring(port.length())).matches();
    }

    public static boolean isDriver(String driver) {
        return driver != null && DRIVER.matcher(driver).matches();
    }

    /** Every USB device the kernel lists (root hubs excepted). */
    public static List<UsbDevice> all(HostRoot host) {
        if (!host.isDirectory(DEVICES)) {
            return List.of();
        }
        return host.list(DEVICES).stream().filter(UsbDevice::isPort).map(p -> new UsbDevice(host, p)).toList();
    }

    public String port() {
        return port;
    }

    public String path() {
        return DEVICES + "/" + port;
    }

    public boolean exists() {
        return host.isDirectory(path());
    }

    /** {@code idVendor} as a number (hex in sysfs). */
    public OptionalInt vendor() {
        return hex(path() + "/idVendor");
    }

    /** {@code idProduct} as a number (hex in sysfs). */
    public OptionalInt product() {
        return hex(path() + "/idProduct");
    }

    /** {@code busnum}, as libvirt's {@code <address bus>}. */
    public OptionalInt busnum() {
        return decimal(path() + "/busnum");
    }

    /** {@code devnum}, as libvirt's {@code <address device>}; a re-enumerated device gets a new one. */
    public OptionalInt devnum() {
        return decimal(path() + "/devnum");
    }

    /** False when the device is de-authorized ({@code authorized} reads 0): no interface is probed. */
    public boolean authorized() {
        return host.readIfExists(path() + "/authorized").map(v -> !v.strip().equals("0")).orElse(true);
    }

    /** Writes {@code authorized}: 0 unbinds every interface's driver, 1 enumerates the device again and probes them. */
    public Change authorize(boolean on) {
        return host.write(path() + "/authorized", on ? "1" : "0");
    }

    /** The device's interfaces ({@code 1-2:1.0}), as the bus lists them. */
    public List<String> interfaces() {
        if (!host.isDirectory(DEVICES)) {
            return List.of();
        }
        return host.list(DEVICES).stream().filter(n -> isInterfaceOf(port, n)).toList();
    }

    /** The driver bound to one of its interfaces, empty when none is. */
    public Optional<String> interfaceDriver(String iface) {
        requireInterface(iface);
        return host.readLink(DEVICES + "/" + iface + "/driver").map(t -> t.substring(t.lastIndexOf('/') + 1)).filter(UsbDevice::isDriver);
    }

    /** True when {@code driver} is registered ({@code /sys/bus/usb/drivers/<driver>} exists). */
    public static boolean driverLoaded(HostRoot host, String driver) {
        return isDriver(driver) && host.isDirectory(DRIVERS + "/" + driver);
    }

    /** Binds one interface to {@code driver} ({@code drivers/<driver>/bind}), waiting at most {@code limit}. */
    public void bind(String iface, String driver, Duration limit) {
        requireInterface(iface);
        if (!isDriver(driver)) {
            throw new IllegalArgumentException("invalid USB driver '" + driver + "'");
        }
        AbandonableWrite.trigger(host, DRIVERS + "/" + driver + "/bind", iface, limit);
    }

    private void requireInterface(String iface) {
        if (!isInterfaceOf(port, iface)) {
            throw new IllegalArgumentException("'" + iface + "' is no interface of USB device " + port);
        }
    }

    private OptionalInt hex(String file) {
        return host.readIfExists(file).map(String::strip).filter(v -> v.matches("[0-9a-fA-F]{4}"))
                .map(v -> OptionalInt.of(Integer.parseInt(v, 16))).orElse(OptionalInt.empty());
    }

    private OptionalInt decimal(String file) {
        return host.readIfExists(file).map(String::strip).filter(v -> v.matches("[0-9]{1,3}"))
                .map(v -> OptionalInt.of(Integer.parseInt(v))).orElse(OptionalInt.empty());
    }

    @Override
    public String toString() {
        return port;
    }
}
