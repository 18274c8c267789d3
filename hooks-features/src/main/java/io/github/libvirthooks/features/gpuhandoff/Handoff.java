package io.github.libvirthooks.features.gpuhandoff;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.console.PlatformFramebuffer;
import io.github.libvirthooks.sysfs.console.PlatformFramebuffers;
import io.github.libvirthooks.sysfs.console.VtConsole;
import io.github.libvirthooks.sysfs.console.VtConsoles;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.sysfs.module.KernelModules;
import io.github.libvirthooks.sysfs.pci.IommuGroups;
import io.github.libvirthooks.sysfs.pci.PciAddress;
import io.github.libvirthooks.sysfs.pci.PciDevice;
import io.github.libvirthooks.sysfs.proc.Holder;
import io.github.libvirthooks.sysfs.proc.OpenFileHolders;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What handing the GPU to the VM takes on this host, found by reading only: the functions
 * (with the functions of the same card that share their IOMMU group), whether the GPU draws the
 * host's display (the primary case) or not (secondary), the checks that refuse before anything
 * changes, and the ordered steps. {@code plan} shows the steps; the feature takes them.
 *
 * @param functions       the functions to hand over, with the driver each is bound to now
 * @param primary         true when the GPU drives the host's display
 * @param why             why this case applies, for plan
 * @param displayManager  the display manager's unit when it is active and will be stopped
 * @param sessionUnits    the user units to stop (with {@code stop-user-sessions}) because they hold the GPU
 * @param consoles        the framebuffer consoles bound now
 * @param framebuffers    the firmware framebuffers bound now
 * @param modules         the modules to unload, in unload order (with {@code unload-modules})
 */
record Handoff(List<Function> functions, boolean primary, String why, Optional<String> displayManager, List<String> sessionUnits,
        List<String> consoles, List<PlatformFramebuffer> framebuffers, List<String> modules) {
    static final String VFIO_PCI = "vfio-pci";
    static final String SYSTEMD_RUNTIME = "/run/systemd/system";
    private static final int HOLDERS_SHOWN = 5;

    /**
     * One function to hand over.
     *
     * @param address the function
     * @param driver  the driver bound now; empty when none
     * @param managed false for {@code managed='no'}: this feature binds it to vfio-pci
     */
    record Function(PciAddress address, Optional<String> driver, boolean managed) {
        boolean needsUnbind() {
            return driver.isPresent() && !driver.get().equals(VFIO_PCI);
        }

        boolean needsVfio() {
            return !managed && !driver.map(VFIO_PCI::equals).orElse(false);
        }
    }

    /** The ordered steps, as plan shows them. */
    List<String> steps() {
        List<String> steps = new ArrayList<>();
        displayManager.ifPresent(u -> steps.add("stop " + u));
        if (!sessionUnits.isEmpty()) {
            steps.add("stop the user units holding the GPU: " + String.join(", ", sessionUnits));
        }
        if (displayManager.isPresent() || !sessionUnits.isEmpty()) {
            steps.add("check that no process holds the GPU any more");
        }
        if (!consoles.isEmpty()) {
            steps.add("unbind the framebuffer consoles " + String.join(", ", consoles));
        }
        if (!framebuffers.isEmpty()) {
            steps.add("unbind the firmware framebuffers " + String.join(", ", framebuffers.stream().map(Object::toString).toList()));
        }
        for (Function f : functions) {
            if (f.needsUnbind()) {
                steps.add("unbind " + f.address() + " from " + f.driver().get());
            }
        }
        if (!modules.isEmpty()) {
            steps.add("unload the modules " + String.join(", ", modules));
        }
        for (Function f : functions) {
            if (f.needsVfio()) {
                steps.add("bind " + f.address() + " to vfio-pci with driver_override (managed='no')");
            } else if (f.managed()) {
                steps.add("leave " + f.address() + " to libvirt, which binds it to vfio-pci (managed='yes')");
            }
        }
        return List.copyOf(steps);
    }

    /**
     * Reads the host and refuses, naming names, what cannot be handed over safely. The devices
     * and the case go to {@code effects} as soon as they are known, so that a refused plan shows them too.
     *
     * @throws FeatureException saying what is wrong and what to do; nothing has changed
     */
    static Handoff survey(HostRoot host, Domain domain, GpuHandoffOptions options, CommandRunner commands,
            io.github.libvirthooks.features.engine.Effects effects) {
        Map<PciAddress, Boolean> wanted = wanted(domain, options);
        if (!new IommuGroups(host).enabled()) {
            throw new FeatureException("gpu-handoff: the IOMMU is off (" + IommuGroups.GROUPS + " is empty): turn on VT-d or AMD-Vi"
                    + " in the firmware and add intel_iommu=on (Intel) or amd_iommu=on (AMD) to the kernel command line");
        }
        Map<PciAddress, Boolean> all = withSiblings(host, wanted);
        checkGroups(host, all.keySet());
        List<Function> functions = new ArrayList<>();
        for (Map.Entry<PciAddress, Boolean> e : all.entrySet()) {
            PciDevice device = new PciDevice(host, e.getKey());
            checkReset(device);
            functions.add(new Function(e.getKey(), device.driver(), e.getValue()));
        }
        if (functions.stream().anyMatch(Function::needsVfio) && !PciDevice.driverLoaded(host, VFIO_PCI)) {
            throw new FeatureException("gpu-handoff: a managed='no' device must be bound to vfio-pci, which is not loaded;"
                    + " run 'modprobe vfio-pci' (or load it at boot) and start the VM again");
        }
        String[] why = new String[1];
        boolean primary = isPrimary(host, all.keySet(), why);
        effects.put("devices", functions.stream().map(f -> f.address().text()).toList());
        effects.put("case", primary ? "primary" : "secondary");
        effects.put("why", why[0]);
        Predicate<String> watched = watchedNodes(host, functions);
        OpenFileHolders.Scan scan = new OpenFileHolders(host).holding(watched);
        Optional<String> dm = Optional.empty();
        String dmId = "";
        List<String> sessions = new ArrayList<>();
        if (primary && host.exists(SYSTEMD_RUNTIME)) {
            CommandResult active = commands.query(List.of("systemctl", "is-active", options.displayManager()), options.timeout());
            if (active.stdout().strip().equals("active")) {
                dm = Optional.of(options.displayManager());
                dmId = commands.query(List.of("systemctl", "show", "-p", "Id", "--value", options.displayManager()),
                        options.timeout()).orThrow().stdout().strip();
            }
        }
        List<Holder> foreign = new ArrayList<>();
        for (Holder h : scan.holders()) {
            if (dm.isPresent() && (inUnit(h, options.displayManager()) || inUnit(h, dmId))) {
                continue;
            }
            if (dm.isPresent() && h.cgroup().startsWith("/user.slice/")) {
                if (options.stopUserSessions()) {
                    sessionUnit(h.cgroup()).filter(u -> !sessions.contains(u)).ifPresent(sessions::add);
                }
                continue;
            }
            foreign.add(h);
        }
        if (!foreign.isEmpty()) {
            throw new FeatureException("gpu-handoff: " + held(foreign) + "; end " + (foreign.size() == 1 ? "it" : "them")
                    + " first (a service: systemctl stop <unit>, e.g. nvidia-persistenced), then start the VM again");
        }
        List<String> consoles = new ArrayList<>();
        List<PlatformFramebuffer> framebuffers = new ArrayList<>();
        if (primary) {
            for (VtConsole c : new VtConsoles(host).all()) {
                if (c.bound() && c.isFramebuffer()) {
                    consoles.add(c.id());
                }
            }
            framebuffers.addAll(new PlatformFramebuffers(host).bound());
        }
        List<String> modules = options.unloadModules() ? modules(host, functions) : List.of();
        return new Handoff(List.copyOf(functions), primary, why[0], dm, List.copyOf(sessions), List.copyOf(consoles),
                List.copyOf(framebuffers), modules);
    }

    /** The processes that hold the GPU now (after the display manager stopped), as refusals name them. */
    static List<Holder> holders(HostRoot host, List<Function> functions) {
        return new OpenFileHolders(host).holding(watchedNodes(host, functions)).holders();
    }

    static String held(List<Holder> holders) {
        List<String> shown = holders.stream().limit(HOLDERS_SHOWN).map(Holder::describe).toList();
        return "the GPU is in use: " + String.join(", ", shown)
                + (holders.size() > HOLDERS_SHOWN ? " and " + (holders.size() - HOLDERS_SHOWN) + " more" : "");
    }

    private static Map<PciAddress, Boolean> wanted(Domain domain, GpuHandoffOptions options) {
        Map<PciAddress, Boolean> managed = new LinkedHashMap<>();
        for (Domain.PciHostdev h : domain.pciHostdevs()) {
            managed.put(h.address(), h.managed());
        }
        if (options.devices().isEmpty()) {
            if (managed.isEmpty()) {
                throw new FeatureException("gpu-handoff: the VM passes no PCI device through (no <hostdev type='pci'>) and no"
                        + " devices='...' is set; add the GPU to the VM or name its functions, e.g. devices='0000:01:00.0,0000:01:00.1'");
            }
            return managed;
        }
        Map<PciAddress, Boolean> chosen = new LinkedHashMap<>();
        // A function the XML does not name is left unbound for whatever passes it (a qemu:commandline, a later attach).
        options.devices().forEach(a -> chosen.put(a, managed.getOrDefault(a, true)));
        return chosen;
    }

    /** Adds the other functions of each card that share its IOMMU group: the GPU's audio and USB functions go with it. */
    private static Map<PciAddress, Boolean> withSiblings(HostRoot host, Map<PciAddress, Boolean> wanted) {
        Map<PciAddress, Boolean> all = new LinkedHashMap<>(wanted);
        IommuGroups groups = new IommuGroups(host);
        for (Map.Entry<PciAddress, Boolean> e : wanted.entrySet()) {
            PciDevice device = new PciDevice(host, e.getKey());
            if (!device.exists()) {
                throw new FeatureException("gpu-handoff: this host has no PCI function " + e.getKey()
                        + "; 'lspci -D' lists them (check the VM's <hostdev> or devices='...')");
            }
            OptionalInt group = device.iommuGroup();
            if (group.isEmpty()) {
                throw new FeatureException("gpu-handoff: " + e.getKey() + " has no IOMMU group; turn on the IOMMU for it"
                        + " (intel_iommu=on or amd_iommu=on, and VT-d/AMD-Vi in the firmware)");
            }
            for (PciAddress member : groups.devices(group.getAsInt())) {
                if (member.slot().equals(e.getKey().slot())) {
                    all.putIfAbsent(member, e.getValue());
                }
            }
        }
        return all;
    }

    /** VFIO gives a guest whole groups: every other member (bridges excepted) would stay with the host and make it fail. */
    private static void checkGroups(HostRoot host, Set<PciAddress> functions) {
        IommuGroups groups = new IommuGroups(host);
        for (PciAddress a : functions) {
            int group = new PciDevice(host, a).iommuGroup().getAsInt();
            List<String> others = new ArrayList<>();
            for (PciAddress member : groups.devices(group)) {
                PciDevice m = new PciDevice(host, member);
                if (!functions.contains(member) && !m.isBridge()) {
                    others.add(member + m.driver().map(d -> " (driver " + d + ")").orElse(""));
                }
            }
            if (!others.isEmpty()) {
                throw new FeatureException("gpu-handoff: IOMMU group " + group + " of " + a + " also holds " + String.join(", ", others)
                        + ", which the VM does not get; VFIO hands over whole groups: pass " + (others.size() == 1 ? "it" : "them")
                        + " to the VM too, or put the card in a slot with a group of its own");
            }
        }
    }

    /** libvirt resets a function before and after the VM: it needs a kernel reset method or a bridge above for a bus reset. */
    private static void checkReset(PciDevice device) {
        boolean method = device.reportsResetMethods() ? !device.resetMethods().isEmpty() : device.hasResetFile();
        if (!method && device.parentBridge().isEmpty()) {
            throw new FeatureException("gpu-handoff: " + device.address() + " cannot be reset (no reset_method, and it sits on a"
                    + " root bus with no bridge for a bus reset): libvirt could not reset it for the VM; pass a device that can be"
                    + " reset, or a card in a slot behind a bridge");
        }
    }

    private static boolean isPrimary(HostRoot host, Set<PciAddress> functions, String[] why) {
        for (PciAddress a : functions) {
            if (new PciDevice(host, a).bootVga()) {
                why[0] = a + " is the boot display (boot_vga is 1)";
                return true;
            }
        }
        List<String> others = new ArrayList<>();
        for (PciAddress a : PciDevice.all(host)) {
            PciDevice d = new PciDevice(host, a);
            if (!functions.contains(a) && d.isDisplay() && d.driver().filter(dr -> !dr.equals(VFIO_PCI)).isPresent()) {
                others.add(a + " (" + d.driver().get() + ")");
            }
        }
        if (others.isEmpty()) {
            why[0] = "no other GPU is bound to a host driver: the host's display is on this one";
            return true;
        }
        why[0] = "the host keeps its display on " + String.join(", ", others);
        return false;
    }

    /** The GPU's DRM nodes, and for NVIDIA's own driver every /dev/nvidia* node (they are shared by its cards). */
    private static Predicate<String> watchedNodes(HostRoot host, List<Function> functions) {
        Set<String> nodes = new LinkedHashSet<>();
        boolean nvidia = false;
        for (Function f : functions) {
            nodes.addAll(new PciDevice(host, f.address()).drmNodes());
            nvidia |= f.driver().map("nvidia"::equals).orElse(false);
        }
        boolean anyNvidia = nvidia;
        return node -> nodes.contains(node) || (anyNvidia && node.startsWith("/dev/nvidia"));
    }

    private static boolean inUnit(Holder h, String unit) {
        return !unit.isEmpty() && (h.cgroup().endsWith("/" + unit) || h.cgroup().contains("/" + unit + "/"));
    }

    /** The unit of a process under user.slice: its session scope or the user's service manager. */
    static Optional<String> sessionUnit(String cgroup) {
        for (String part : cgroup.split("/")) {
            if ((part.startsWith("session-") && part.endsWith(".scope")) || (part.startsWith("user@") && part.endsWith(".service"))) {
                return GpuHandoffClaim.isUnit(part) ? Optional.of(part) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** The modules of the drivers let go, with their dependents; a driver still serving another device keeps its module. */
    private static List<String> modules(HostRoot host, List<Function> functions) {
        Set<PciAddress> mine = new LinkedHashSet<>();
        functions.forEach(f -> mine.add(f.address()));
        List<String> wanted = new ArrayList<>();
        for (Function f : functions) {
            if (!f.needsUnbind()) {
                continue;
            }
            String driver = f.driver().get();
            boolean shared = PciDevice.boundTo(host, driver).stream().anyMatch(a -> !mine.contains(a));
            Optional<String> module = PciDevice.driverModule(host, driver);
            if (!shared && module.isPresent() && !KernelModules.NEVER_UNLOADED.contains(module.get())
                    && !wanted.contains(module.get())) {
                wanted.add(module.get());
            }
        }
        try {
            return new KernelModules(host).unloadOrder(wanted);
        } catch (IllegalArgumentException e) {
            throw new FeatureException("gpu-handoff: " + e.getMessage());
        }
    }
}
