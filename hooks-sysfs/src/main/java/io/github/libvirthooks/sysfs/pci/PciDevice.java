package io.github.libvirthooks.sysfs.pci;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * One PCI function below {@code /sys/bus/pci/devices/<address>/}: the driver it is bound to
 * (the {@code driver} link), {@code driver_override}, its IOMMU group (the {@code iommu_group}
 * link), {@code boot_vga}, {@code reset_method}, its class, vendor, and its DRM nodes
 * ({@code drm/card*}, {@code drm/renderD*}); and the driver-core writes that move it between
 * drivers: {@code drivers/<driver>/unbind} and {@code bind}, and {@code drivers_probe}.
 */
public final class PciDevice {
    /** Where the kernel lists PCI functions. */
    public static final String DEVICES = "/sys/bus/pci/devices";
    /** Where the kernel lists PCI drivers. */
    public static final String DRIVERS = "/sys/bus/pci/drivers";
    /** Asks the driver core to bind a device to the driver that matches it (or its {@code driver_override}). */
    public static final String DRIVERS_PROBE = "/sys/bus/pci/drivers_probe";
    /** What {@code driver_override} reads when unset. */
    static final String NO_OVERRIDE = "(null)";
    private static final Pattern DRIVER_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern DRM_NODE = Pattern.compile("(card|renderD)[0-9]{1,4}");
    private static final Pattern RESET_METHOD = Pattern.compile("[a-z_]{1,16}");

    private final HostRoot host;
    private final PciAddress address;

    public PciDevice(HostRoot host, PciAddress address) {
        this.host = Objects.requireNonNull(host, "host");
        this.address = Objects.requireNonNull(address, "address");
    }

    public PciAddress address() {
        return address;
    }

    /** {@code /sys/bus/pci/devices/<address>}. */
    public String path() {
        return DEVICES + "/" + address;
    }

    /** True when the kernel knows this function. */
    public boolean exists() {
        return host.isDirectory(path());
    }

    /** The driver bound now, from the {@code driver} link; empty when none is. */
    public Optional<String> driver() {
        return host.readLink(path() + "/driver").map(PciDevice::lastComponent).filter(d -> DRIVER_NAME.matcher(d).matches());
    }

    /** {@code driver_override}: the one driver this device may bind to; empty when unset. */
    public Optional<String> driverOverride() {
        String file = path() + "/driver_override";
        return host.readIfExists(file).map(String::strip).filter(v -> !v.isEmpty() && !v.equals(NO_OVERRIDE));
    }

    /** The IOMMU group number, from the {@code iommu_group} link; empty when the IOMMU is off for it. */
    public OptionalInt iommuGroup() {
        Optional<String> link = host.readLink(path() + "/iommu_group").map(PciDevice::lastComponent);
        if (link.isEmpty() || !link.get().matches("[0-9]{1,6}")) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(Integer.parseInt(link.get()));
    }

    /** {@code boot_vga}: true when the firmware used this GPU for the boot display. Absent (not a VGA device) reads false. */
    public boolean bootVga() {
        return host.readIfExists(path() + "/boot_vga").map(String::strip).map("1"::equals).orElse(false);
    }

    /** The PCI class code as 24 bits ({@code 0x030000} is a VGA controller); 0 when unreadable. */
    public int pciClass() {
        return hex(path() + "/class");
    }

    /** True for a display controller (class {@code 0x03}: VGA, 3D, other display). */
    public boolean isDisplay() {
        return (pciClass() >> 16) == 0x03;
    }

    /** True for a PCI-to-PCI bridge (class {@code 0x0604}), which VFIO lets stay with the host. */
    public boolean isBridge() {
        return (pciClass() >> 8) == 0x0604;
    }

    /** The vendor id ({@code 0x10de} NVIDIA, {@code 0x1002} AMD, {@code 0x8086} Intel); 0 when unreadable. */
    public int vendor() {
        return hex(path() + "/vendor");
    }

    /**
     * The reset methods the kernel offers, in the order it tries them ({@code reset_method},
     * Linux 5.15+): empty when there is none. Empty as well when the file is absent; then
     * {@link #hasResetFile} says whether any method exists.
     */
    public List<String> resetMethods() {
        Optional<String> text = host.readIfExists(path() + "/reset_method");
        List<String> methods = new ArrayList<>();
        for (String m : text.orElse("").strip().split("\\s+")) {
            if (RESET_METHOD.matcher(m).matches()) {
                methods.add(m);
            }
        }
        return List.copyOf(methods);
    }

    /** True when the kernel reports {@code reset_method} at all (Linux 5.15+). */
    public boolean reportsResetMethods() {
        return host.exists(path() + "/reset_method");
    }

    /** True when the kernel created the {@code reset} file, which it does only for a device it can reset. */
    public boolean hasResetFile() {
        return host.exists(path() + "/reset");
    }

    /**
     * The PCI address of the bridge above this function, from where sysfs files it
     * ({@code /sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0}); empty on a root bus, where
     * there is no bridge to reset the bus with.
     */
    public Optional<PciAddress> parentBridge() {
        Optional<String> link = host.readLink(path());
        if (link.isEmpty()) {
            return Optional.empty();
        }
        String[] parts = link.get().split("/");
        if (parts.length < 2) {
            return Optional.empty();
        }
        String parent = parts[parts.length - 2];
        return PciAddress.isValid(parent) ? Optional.of(new PciAddress(parent)) : Optional.empty();
    }

    /** The device nodes of this function's DRM devices, {@code /dev/dri/card0}, {@code /dev/dri/renderD128}. */
    public List<String> drmNodes() {
        String drm = path() + "/drm";
        if (!host.isDirectory(drm)) {
            return List.of();
        }
        List<String> nodes = new ArrayList<>();
        for (String name : host.list(drm)) {
            if (DRM_NODE.matcher(name).matches()) {
                nodes.add("/dev/dri/" + name);
            }
        }
        return List.copyOf(nodes);
    }

    /** The DRM card names of this function ({@code card0}), for matching framebuffer consoles to it. */
    public List<String> drmCards() {
        return drmNodes().stream().map(PciDevice::lastComponent).filter(n -> n.startsWith("card")).toList();
    }

    /**
     * Unbinds the function from {@code driver} ({@code drivers/<driver>/unbind}), waiting at most
     * {@code limit} for the kernel to return.
     *
     * @throws KernelWriteTimeoutException when the unbind has not returned in time
     */
    public void unbind(String driver, Duration limit) {
        AbandonableWrite.trigger(host, driverDir(driver) + "/unbind", address.text(), limit);
    }

    /** Binds the function to {@code driver} ({@code drivers/<driver>/bind}), waiting at most {@code limit}. */
    public void bind(String driver, Duration limit) {
        AbandonableWrite.trigger(host, driverDir(driver) + "/bind", address.text(), limit);
    }

    /** Asks the driver core to bind the function to whichever driver matches it now ({@code drivers_probe}). */
    public void probe(Duration limit) {
        AbandonableWrite.trigger(host, DRIVERS_PROBE, address.text(), limit);
    }

    /** True when {@code driver} is registered ({@code /sys/bus/pci/drivers/<driver>} exists: its module is loaded). */
    public static boolean driverLoaded(HostRoot host, String driver) {
        return host.isDirectory(driverDir(driver));
    }

    /** The functions bound to {@code driver} now. */
    public static List<PciAddress> boundTo(HostRoot host, String driver) {
        String dir = driverDir(driver);
        if (!host.isDirectory(dir)) {
            return List.of();
        }
        return host.list(dir).stream().filter(PciAddress::isValid).map(PciAddress::new).toList();
    }

    /** The driver's module ({@code drivers/<driver>/module} link), empty for a built-in driver. */
    public static Optional<String> driverModule(HostRoot host, String driver) {
        return host.readLink(driverDir(driver) + "/module").map(PciDevice::lastComponent);
    }

    /**
     * Sets {@code driver_override}, so that only {@code driver} may bind the function; returns the
     * change, whose {@code before} ({@code ""} for an unset override) undoes it.
     */
    public Change setDriverOverride(String driver) {
        requireDriverName(driver);
        return host.write(path() + "/driver_override", driver, before -> before.strip().equals(NO_OVERRIDE) ? "" : before.strip());
    }

    /** Clears {@code driver_override} (an empty write, as {@code echo > driver_override}). */
    public Change clearDriverOverride() {
        return host.write(path() + "/driver_override", "", before -> before.strip().equals(NO_OVERRIDE) ? "" : before.strip());
    }

    /** Every PCI function the kernel lists. */
    public static List<PciAddress> all(HostRoot host) {
        if (!host.isDirectory(DEVICES)) {
            return List.of();
        }
        return host.list(DEVICES).stream().filter(PciAddress::isValid).map(PciAddress::new).toList();
    }

    static String driverDir(String driver) {
        requireDriverName(driver);
        return DRIVERS + "/" + driver;
    }

    private static void requireDriverName(String driver) {
        if (driver == null || !DRIVER_NAME.matcher(driver).matches() || driver.startsWith(".")) {
            throw new IllegalArgumentException("invalid driver name '" + driver + "': letters, digits, '_', '-', '.'");
        }
    }

    private int hex(String file) {
        Optional<String> text = host.readIfExists(file).map(String::strip);
        if (text.isEmpty()) {
            return 0;
        }
        String t = text.get();
        if (!t.matches("0x[0-9a-fA-F]{1,8}")) {
            throw new HostAccessException(file, file + ": expected a hex number such as 0x030000, found '"
                    + (t.length() > 20 ? t.substring(0, 20) + "..." : t) + "'");
        }
        return (int) Long.parseLong(t.substring(2), 16);
    }

    static String lastComponent(String link) {
        String s = link.endsWith("/") ? link.substring(0, link.length() - 1) : link;
        return s.substring(s.lastIndexOf('/') + 1);
    }
}
