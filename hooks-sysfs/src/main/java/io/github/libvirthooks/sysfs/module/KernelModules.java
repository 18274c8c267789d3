package io.github.libvirthooks.sysfs.module;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The loaded kernel modules ({@code /proc/modules}) and their dependencies, and unloading and
 * loading them with {@code modprobe} through the {@link CommandRunner}, always with a time
 * limit. The VFIO modules are never unloaded: unloading {@code vfio-pci} at release is what
 * makes the next start hang in the start/revert scripts.
 */
public final class KernelModules {
    /** The kernel's list of loaded modules. */
    public static final String PROC_MODULES = "/proc/modules";
    /** Modules this code refuses to unload. */
    public static final Set<String> NEVER_UNLOADED = Set.of("vfio", "vfio_pci", "vfio_pci_core", "vfio_iommu_type1",
            "vfio_virqfd", "iommufd", "kvm", "kvm_intel", "kvm_amd");
    private static final Pattern NAME = Pattern.compile("[a-z0-9_]{1,56}");
    private static final int MAX_MODULES = 8192;

    private final HostRoot host;

    public KernelModules(HostRoot host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    /** The loaded modules by name, in {@code /proc/modules} order. */
    public Map<String, LoadedModule> loaded() {
        if (!host.exists(PROC_MODULES)) {
            return Map.of();
        }
        Map<String, LoadedModule> modules = new LinkedHashMap<>();
        for (String line : host.read(PROC_MODULES).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (modules.size() >= MAX_MODULES) {
                throw new HostAccessException(PROC_MODULES, PROC_MODULES + ": more than " + MAX_MODULES + " modules");
            }
            LoadedModule m = parseLine(line);
            modules.put(m.name(), m);
        }
        return java.util.Collections.unmodifiableMap(modules);
    }

    /** One line: {@code name size refcount users|- state address}. */
    static LoadedModule parseLine(String line) {
        String[] f = line.strip().split("\\s+");
        if (f.length < 4 || !NAME.matcher(f[0]).matches() || !f[2].matches("-?[0-9]{1,9}")) {
            throw new HostAccessException(PROC_MODULES, PROC_MODULES + ": unexpected line '"
                    + (line.length() > 80 ? line.substring(0, 80) + "..." : line) + "'");
        }
        List<String> users = new ArrayList<>();
        if (!f[3].equals("-")) {
            for (String u : f[3].split(",")) {
                if (NAME.matcher(u).matches()) {
                    users.add(u);
                }
            }
        }
        return new LoadedModule(f[0], Integer.parseInt(f[2]), users);
    }

    /**
     * The loaded modules among {@code wanted} together with every loaded module that depends on
     * them, ordered so that each comes before what it depends on ({@code nvidia_drm},
     * {@code nvidia_modeset}, {@code nvidia_uvm}, {@code nvidia}): the order {@code modprobe -r}
     * can take them one by one.
     *
     * @throws IllegalArgumentException when one of them is a module that is never unloaded
     */
    public List<String> unloadOrder(List<String> wanted) {
        Map<String, LoadedModule> loaded = loaded();
        Set<String> seen = new LinkedHashSet<>();
        List<String> order = new ArrayList<>();
        for (String w : wanted) {
            visit(normalize(w), loaded, seen, order);
        }
        for (String m : order) {
            requireUnloadable(m);
        }
        return List.copyOf(order);
    }

    /** Depth first: a module's users are placed before it. */
    private static void visit(String name, Map<String, LoadedModule> loaded, Set<String> seen, List<String> order) {
        LoadedModule m = loaded.get(name);
        if (m == null || !seen.add(name)) {
            return;
        }
        for (String user : m.usedBy()) {
            visit(user, loaded, seen, order);
        }
        order.add(name);
    }

    /** {@code modprobe -r <module>}, waiting at most {@code limit}. */
    public void unload(CommandRunner commands, String module, Duration limit) {
        String name = normalize(module);
        requireUnloadable(name);
        commands.run(List.of("modprobe", "-r", name), limit).orThrow();
    }

    /** {@code modprobe <module>}, waiting at most {@code limit}. */
    public void load(CommandRunner commands, String module, Duration limit) {
        commands.run(List.of("modprobe", normalize(module)), limit).orThrow();
    }

    /** True when {@code module} is loaded. */
    public boolean isLoaded(String module) {
        return loaded().containsKey(normalize(module));
    }

    /** A module name as {@code /proc/modules} writes it ({@code vfio-pci} is {@code vfio_pci}). */
    public static String normalize(String module) {
        String n = module == null ? "" : module.strip().replace('-', '_');
        if (!NAME.matcher(n).matches()) {
            throw new IllegalArgumentException("invalid module name '" + module + "': lowercase letters, digits, '_' or '-'");
        }
        return n;
    }

    private static void requireUnloadable(String name) {
        if (NEVER_UNLOADED.contains(name)) {
            throw new IllegalArgumentException("refusing to unload " + name + ": the VFIO and KVM modules stay loaded"
                    + " (unloading vfio-pci at release is what hangs the next start)");
        }
    }
}
