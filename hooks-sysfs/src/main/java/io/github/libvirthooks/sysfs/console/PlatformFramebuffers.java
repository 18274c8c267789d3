package io.github.libvirthooks.sysfs.console;

import io.github.libvirthooks.sysfs.HostRoot;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The firmware framebuffers under {@code /sys/bus/platform/drivers/{efi,simple,vesa}-framebuffer}.
 * Which one exists depends on the kernel: with simpledrm there is no {@code efi-framebuffer.0}
 * (the start scripts' "write error: No such device"), with none of them loaded there is none.
 * So the bound ones are found by listing, never assumed.
 */
public final class PlatformFramebuffers {
    /** Where platform drivers are listed. */
    public static final String DRIVERS = "/sys/bus/platform/drivers";

    private final HostRoot host;

    public PlatformFramebuffers(HostRoot host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    /** The framebuffers bound to their driver now (a device is listed in its driver's directory as a link). */
    public List<PlatformFramebuffer> bound() {
        List<PlatformFramebuffer> found = new ArrayList<>();
        for (String driver : PlatformFramebuffer.DRIVERS) {
            String dir = DRIVERS + "/" + driver;
            if (!host.isDirectory(dir)) {
                continue;
            }
            for (String name : host.list(dir)) {
                if (PlatformFramebuffer.isDevice(name) && host.readLink(dir + "/" + name).isPresent()) {
                    found.add(new PlatformFramebuffer(driver, name));
                }
            }
        }
        return List.copyOf(found);
    }

    /** True when the framebuffer is bound to its driver now. */
    public boolean isBound(PlatformFramebuffer fb) {
        return host.readLink(DRIVERS + "/" + fb.driver() + "/" + fb.device()).isPresent();
    }

    /** Unbinds the framebuffer from its driver. */
    public void unbind(PlatformFramebuffer fb) {
        host.trigger(DRIVERS + "/" + fb.driver() + "/unbind", fb.device());
    }

    /** Binds the framebuffer to its driver again. */
    public void bind(PlatformFramebuffer fb) {
        host.trigger(DRIVERS + "/" + fb.driver() + "/bind", fb.device());
    }
}
