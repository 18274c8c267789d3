package io.github.libvirthooks.sysfs.console;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code /sys/class/vtconsole/}: the console drivers of the virtual terminals. Writing 0 to a
 * framebuffer console's {@code bind} hands the terminals to the dummy console, so that the
 * framebuffer (and the GPU behind it) is no longer drawn on; writing 1 takes them back.
 */
public final class VtConsoles {
    /** Where the kernel lists console drivers. */
    public static final String CLASS = "/sys/class/vtconsole";
    private static final Pattern ID = Pattern.compile("vtcon[0-9]{1,3}");

    private final HostRoot host;

    public VtConsoles(HostRoot host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    /** Every console driver, by id. */
    public List<VtConsole> all() {
        if (!host.isDirectory(CLASS)) {
            return List.of();
        }
        List<VtConsole> consoles = new ArrayList<>();
        for (String id : host.list(CLASS)) {
            if (ID.matcher(id).matches()) {
                consoles.add(read(id));
            }
        }
        return List.copyOf(consoles);
    }

    /** One console driver as it is now. */
    public VtConsole read(String id) {
        String dir = dir(id);
        String bind = host.read(dir + "/bind").strip();
        if (!bind.equals("0") && !bind.equals("1")) {
            throw new HostAccessException(dir + "/bind", dir + "/bind: expected 0 or 1, found '"
                    + (bind.length() > 20 ? bind.substring(0, 20) + "..." : bind) + "'");
        }
        String name = host.readIfExists(dir + "/name").orElse("").strip();
        return new VtConsole(id, name.length() > 100 ? name.substring(0, 100) : name, bind.equals("1"));
    }

    /** One console driver, if the kernel lists it now (fbcon comes and goes with the framebuffers). */
    public Optional<VtConsole> find(String id) {
        return host.exists(dir(id)) ? Optional.of(read(id)) : Optional.empty();
    }

    /** Unbinds a console driver from the virtual terminals. */
    public Change unbind(String id) {
        return host.write(dir(id) + "/bind", "0");
    }

    /** Binds a console driver to the virtual terminals again. */
    public Change bind(String id) {
        return host.write(dir(id) + "/bind", "1");
    }

    /** True for a name of the kernel's form, {@code vtcon1}. */
    public static boolean isId(String id) {
        return id != null && ID.matcher(id).matches();
    }

    private static String dir(String id) {
        if (!isId(id)) {
            throw new IllegalArgumentException("invalid console '" + id + "': expected vtcon0, vtcon1, ...");
        }
        return CLASS + "/" + id;
    }
}
