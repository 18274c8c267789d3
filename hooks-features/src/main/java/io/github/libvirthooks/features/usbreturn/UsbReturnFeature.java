package io.github.libvirthooks.features.usbreturn;

import io.github.libvirthooks.features.config.Durations;
import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.engine.ClaimingFeature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.FeatureSpec;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.engine.SpecifiedFeature;
import io.github.libvirthooks.features.usbreturn.UsbReturnClaim.Controller;
import io.github.libvirthooks.features.usbreturn.UsbReturnClaim.Device;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.pci.PciDevice;
import io.github.libvirthooks.sysfs.usb.UsbDevice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code usb-return}: after QEMU exits, makes sure the VM's USB devices and USB controllers are
 * bound to their host drivers again. QEMU claims a passed-through device's interfaces through
 * usbfs and asks the kernel to re-attach their drivers when it lets go, which some devices miss
 * (the keyboard that stays dead after the VM stops); libvirt gives a {@code managed='yes'} PCI
 * function back with {@code drivers_probe}, which a controller can miss too.
 *
 * <p>At {@code prepare} (before QEMU or libvirt touch them) it records, per device, the driver
 * of each interface, and per USB controller ({@code <hostdev type='pci'>} of class
 * {@code 0x0c03xx}) its driver: one claim each, no host change. Release gives each claim back:
 * what came back by itself is reported; an interface without its driver is bound to it
 * ({@code /sys/bus/usb/drivers/<driver>/bind}), and a device still missing one is
 * re-authorized ({@code authorized} 0 then 1: the kernel enumerates it again and probes every
 * interface); a controller without its driver is bound to it
 * ({@code /sys/bus/pci/drivers/xhci_hcd/bind}, else {@code drivers_probe}). Every write has the
 * time limit, and the wait for a re-authorized device's drivers too. Its claims are recorded
 * before gpu-handoff's, so they are given back after it: a GPU's USB function is back from
 * vfio-pci before it is checked.
 */
public final class UsbReturnFeature implements ClaimingFeature<UsbReturnClaim>, SpecifiedFeature {
    public static final String NAME = "usb-return";
    /** What this feature is: its events and options (the README's table is checked against it). */
    public static final FeatureSpec SPEC = FeatureSpec.named(NAME, "give the VM's USB devices and controllers back to host drivers")
            .at(HookOperation.PREPARE)
            .option("timeout", "`10s`")
            .build();
    /** PCI class of USB controllers (UHCI, OHCI, EHCI, xHCI), without the programming interface byte. */
    static final int USB_CONTROLLER_CLASS = 0x0c03;
    private static final Duration POLL = Duration.ofMillis(50);

    @Override
    public FeatureSpec spec() {
        return SPEC;
    }

    @Override
    public ClaimCodec<UsbReturnClaim> claimCodec() {
        return UsbReturnClaimCodec.INSTANCE;
    }

    @Override
    public void apply(FeatureContext context) {
        Duration timeout = timeout(context.options());
        HostRoot host = context.claimedHost();
        Consumer<String> report = context.report();
        List<UsbReturnClaim> claims = new ArrayList<>();
        for (Domain.UsbHostdev wanted : context.domain().usbHostdevs()) {
            List<UsbDevice> found = UsbDevice.all(host).stream().filter(d -> matches(d, wanted)).toList();
            if (found.isEmpty()) {
                report.accept("info   usb-return: no host USB device is " + wanted.describe() + " now; nothing to give back for it");
            }
            for (UsbDevice d : found) {
                if (!d.authorized()) {
                    report.accept("info   usb-return: " + d + " is de-authorized (authorized reads 0); left alone");
                    continue;
                }
                Map<String, String> drivers = new LinkedHashMap<>();
                for (String iface : d.interfaces()) {
                    d.interfaceDriver(iface).filter(driver -> !driver.equals("usbfs")).ifPresent(driver -> drivers.put(iface, driver));
                }
                claims.add(new Device(d.port(), d.vendor().orElse(0), d.product().orElse(0), drivers, timeout));
            }
        }
        for (Domain.PciHostdev function : context.domain().pciHostdevs()) {
            PciDevice device = new PciDevice(host, function.address());
            if (!device.exists() || device.pciClass() >> 8 != USB_CONTROLLER_CLASS) {
                continue;
            }
            Optional<String> driver = device.driver();
            if (driver.isEmpty() || driver.get().equals("vfio-pci")) {
                report.accept("info   usb-return: USB controller " + function.address() + " has "
                        + driver.map(d -> "driver " + d).orElse("no driver") + " before the VM starts; nothing to give back");
                continue;
            }
            claims.add(new Controller(function.address(), driver.get(), timeout));
        }
        context.effect("devices", claims.stream().map(UsbReturnFeature::describe).toList());
        if (claims.isEmpty()) {
            report.accept("info   usb-return: the VM passes no host USB device or USB controller; nothing to give back");
        }
        for (UsbReturnClaim claim : claims) {
            context.claim(UsbReturnClaimCodec.INSTANCE, claim);
            report.accept("claim  usb-return: " + describe(claim) + ", checked when the VM stops");
        }
    }

    @Override
    public void undo(UsbReturnClaim claim, FeatureContext context) {
        try {
            if (claim instanceof Device d) {
                giveBack(d, context.host(), context.report());
            } else if (claim instanceof Controller c) {
                giveBack(c, context.host(), context.report());
            }
        } catch (HostAccessException | IllegalArgumentException e) {
            throw new FeatureException("usb-return: " + describe(claim) + " is not back: " + e.getMessage()
                    + "; unplug and plug it in again, or run 'libvirt-hooks restore' once the cause is fixed");
        }
    }

    private static void giveBack(Device claim, HostRoot host, Consumer<String> report) {
        Optional<UsbDevice> found = locate(host, claim);
        if (found.isEmpty()) {
            report.accept("info   usb-return: " + claim.ids() + " (was " + claim.port() + ") is not plugged in; nothing to give back");
            return;
        }
        UsbDevice device = found.get();
        Map<String, String> wanted = new LinkedHashMap<>();
        claim.interfaces().forEach((iface, driver) -> wanted.put(device.port() + iface.substring(claim.port().length()), driver));
        List<String> done = new ArrayList<>();
        if (!device.authorized()) {
            // A run that died between the two writes of a re-authorization.
            device.authorize(true);
            done.add("authorized it again");
        }
        List<String> missing = missing(device, wanted, report);
        for (String iface : missing) {
            if (UsbDevice.driverLoaded(host, wanted.get(iface))) {
                try {
                    device.bind(iface, wanted.get(iface), claim.timeout());
                    done.add("bound " + iface + " to " + wanted.get(iface));
                } catch (HostAccessException e) {
                    report.accept("info   usb-return: binding " + iface + " to " + wanted.get(iface) + " failed (" + e.getMessage()
                            + "); re-authorizing " + device);
                }
            }
        }
        missing = missing(device, wanted, line -> { });
        if (!missing.isEmpty()) {
            device.authorize(false);
            device.authorize(true);
            done.add("re-authorized it");
            long deadline = System.nanoTime() + claim.timeout().toNanos();
            while (!(missing = missing(device, wanted, line -> { })).isEmpty() && System.nanoTime() < deadline) {
                sleep();
            }
        }
        if (!missing.isEmpty()) {
            throw new FeatureException("usb-return: " + device + " (" + claim.ids() + ") has no driver on " + String.join(", ", missing)
                    + " within " + claim.timeout().toMillis() + " ms after " + String.join(", ", done)
                    + "; unplug and plug it in again, or run 'libvirt-hooks restore' once the driver is loaded");
        }
        String drivers = String.join(", ", new java.util.TreeSet<>(wanted.values()));
        report.accept(done.isEmpty()
                ? "info   usb-return: " + device + " (" + claim.ids() + ") came back by itself" + (drivers.isEmpty() ? "" : " (" + drivers + ")")
                : "undo   usb-return: " + device + " (" + claim.ids() + ") back on " + drivers + ": " + String.join(", ", done));
    }

    private static void giveBack(Controller claim, HostRoot host, Consumer<String> report) {
        PciDevice device = new PciDevice(host, claim.address());
        if (!device.exists()) {
            report.accept("info   usb-return: USB controller " + claim.address() + " is gone; nothing to give back");
            return;
        }
        Optional<String> now = device.driver();
        if (now.equals(Optional.of(claim.driver()))) {
            report.accept("info   usb-return: USB controller " + claim.address() + " came back by itself (" + claim.driver() + ")");
            return;
        }
        Optional<String> override = device.driverOverride();
        if (override.isPresent() && !override.get().equals(claim.driver())) {
            report.accept("warn   usb-return: USB controller " + claim.address() + " has driver_override " + override.get()
                    + ", set by something else; left to it (clear it and write the address to /sys/bus/pci/drivers_probe to give"
                    + " the controller back)");
            return;
        }
        List<String> done = new ArrayList<>();
        if (now.isPresent()) {
            device.unbind(now.get(), claim.timeout());
            done.add("unbound it from " + now.get());
        }
        if (PciDevice.driverLoaded(host, claim.driver())) {
            try {
                device.bind(claim.driver(), claim.timeout());
                done.add("bound it to " + claim.driver());
            } catch (HostAccessException e) {
                device.probe(claim.timeout());
                done.add("probed it (bind failed: " + e.getMessage() + ")");
            }
        } else {
            device.probe(claim.timeout());
            done.add("probed it");
        }
        if (!device.driver().equals(Optional.of(claim.driver()))) {
            throw new FeatureException("usb-return: USB controller " + claim.address() + " is on "
                    + device.driver().orElse("no driver") + ", not " + claim.driver() + ", after " + String.join(", ", done)
                    + "; load " + claim.driver() + " (modprobe) and run 'libvirt-hooks restore'");
        }
        report.accept("undo   usb-return: USB controller " + claim.address() + " back on " + claim.driver() + ": " + String.join(", ", done));
    }

    /** The interfaces without their driver now; one bound to another driver is said and left. */
    private static List<String> missing(UsbDevice device, Map<String, String> wanted, Consumer<String> report) {
        List<String> missing = new ArrayList<>();
        wanted.forEach((iface, driver) -> {
            Optional<String> now = device.interfaceDriver(iface);
            if (now.isEmpty()) {
                missing.add(iface);
            } else if (!now.get().equals(driver)) {
                report.accept("info   usb-return: " + iface + " is bound to " + now.get() + ", not " + driver + "; left to it");
            }
        });
        return missing;
    }

    /** The device at the recorded port if it is still the same, else the one device with its ids (replugged elsewhere). */
    private static Optional<UsbDevice> locate(HostRoot host, Device claim) {
        UsbDevice at = new UsbDevice(host, claim.port());
        if (at.exists() && sameIds(at, claim)) {
            return Optional.of(at);
        }
        List<UsbDevice> same = UsbDevice.all(host).stream().filter(d -> sameIds(d, claim)).toList();
        return same.size() == 1 ? Optional.of(same.get(0)) : Optional.empty();
    }

    private static boolean sameIds(UsbDevice d, Device claim) {
        return d.vendor().orElse(-1) == claim.vendor() && d.product().orElse(-1) == claim.product();
    }

    private static boolean matches(UsbDevice d, Domain.UsbHostdev wanted) {
        boolean ids = (wanted.vendor().isEmpty() || d.vendor().equals(wanted.vendor()))
                && (wanted.product().isEmpty() || d.product().equals(wanted.product()));
        boolean address = wanted.bus().isEmpty()
                || (d.busnum().equals(wanted.bus()) && d.devnum().equals(wanted.device()));
        return ids && address;
    }

    static String describe(UsbReturnClaim claim) {
        if (claim instanceof Device d) {
            return "USB device " + d.port() + " (" + d.ids() + ")" + (d.interfaces().isEmpty() ? ""
                    : " on " + String.join(", ", new java.util.TreeSet<>(d.interfaces().values())));
        }
        Controller c = (Controller) claim;
        return "USB controller " + c.address() + " on " + c.driver();
    }

    private static Duration timeout(Map<String, String> options) {
        List<String> unknown = new ArrayList<>(options.keySet());
        unknown.removeAll(SPEC.optionNames());
        if (!unknown.isEmpty()) {
            throw new FeatureException("unknown option '" + unknown.get(0) + "'; usb-return takes: timeout");
        }
        return Durations.option("usb-return timeout", options.getOrDefault("timeout", "10s"), Duration.ofMillis(100),
                Duration.ofMinutes(10), "");
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
