package io.github.libvirthooks.sysfs.console;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A firmware framebuffer bound to its platform driver: {@code efi-framebuffer.0} on
 * {@code efi-framebuffer}, {@code simple-framebuffer.0} on {@code simple-framebuffer} (simpledrm
 * registers that name) or {@code vesa-framebuffer.0} on {@code vesa-framebuffer}. It covers the
 * boot GPU's memory until unbound.
 *
 * @param driver the platform driver
 * @param device the platform device bound to it
 */
public record PlatformFramebuffer(String driver, String device) {
    /** The drivers that can hold a firmware framebuffer, in the order they are looked for. */
    public static final List<String> DRIVERS = List.of("efi-framebuffer", "simple-framebuffer", "vesa-framebuffer");
    private static final Pattern DEVICE = Pattern.compile("(efi|simple|vesa)-framebuffer\\.[0-9]{1,3}");

    /** Accepts only the known drivers and device names: both become paths and written values. */
    public PlatformFramebuffer {
        Objects.requireNonNull(driver, "driver");
        Objects.requireNonNull(device, "device");
        if (!DRIVERS.contains(driver) || !DEVICE.matcher(device).matches()) {
            throw new IllegalArgumentException("not a firmware framebuffer: " + driver + "/" + device);
        }
    }

    /** Parses {@code driver/device}. */
    public static PlatformFramebuffer parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a firmware framebuffer: '" + text + "' (expected driver/device)");
        }
        return new PlatformFramebuffer(text.substring(0, slash), text.substring(slash + 1));
    }

    /** True when {@code device} is a framebuffer device name of the kernel's form. */
    static boolean isDevice(String device) {
        return DEVICE.matcher(device).matches();
    }

    @Override
    public String toString() {
        return driver + "/" + device;
    }
}
