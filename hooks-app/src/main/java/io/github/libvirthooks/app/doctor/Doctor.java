package io.github.libvirthooks.app.doctor;

import io.github.libvirthooks.app.install.Dispatcher;
import io.github.libvirthooks.app.install.InstallLayout;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cgroup.CgroupMounts;
import io.github.libvirthooks.sysfs.cgroup.CgroupVersion;
import io.github.libvirthooks.sysfs.cgroup.Mountinfo;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;
import io.github.libvirthooks.sysfs.hugetlb.HugePages;
import io.github.libvirthooks.sysfs.libvirt.QemuDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Is this host ready for libvirt-hooks? Each check says what it found and what to do. */
public final class Doctor {
    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)");

    private final HostRoot host;
    private final InstallLayout layout;
    private final CommandRunner commands;
    private final List<Path> path;

    /**
     * @param path the directories searched for tools (the {@code PATH})
     */
    public Doctor(HostRoot host, InstallLayout layout, CommandRunner commands, List<Path> path) {
        this.host = host;
        this.layout = layout;
        this.commands = commands;
        this.path = List.copyOf(path);
    }

    /** Runs every check. */
    public List<Check> run() {
        List<Check> checks = new ArrayList<>();
        checks.add(libvirtVersion());
        checks.add(hookInstalled());
        checks.add(daemonSeesHook());
        checks.add(classDataArchive());
        checks.add(cgroups());
        checks.addAll(hugepages());
        checks.add(systemd());
        SecurityChecks security = new SecurityChecks(host, layout, commands, this::tool);
        checks.addAll(security.selinux());
        checks.add(security.apparmor());
        checks.add(iommu());
        checks.addAll(passthrough());
        checks.addAll(tools());
        checks.add(stateDir());
        return checks;
    }

    /** Where libvirtd keeps the persistent definitions of its QEMU domains: read as files, libvirt is not asked. */
    static final String DOMAIN_DEFINITIONS = "/etc/libvirt/qemu";

    /**
     * Per defined VM that passes PCI functions through ({@code <hostdev type='pci'>}): each
     * function's IOMMU group and the driver it is bound to now, and a warning for what would stop
     * its start: a function missing, or a group member the VM does not get (VFIO hands over whole
     * groups; bridges excepted). Read from libvirtd's definition files, so doctor calls no libvirt.
     */
    List<Check> passthrough() {
        List<Check> checks = new ArrayList<>();
        if (!host.isDirectory(DOMAIN_DEFINITIONS)) {
            return checks;
        }
        for (String file : host.list(DOMAIN_DEFINITIONS)) {
            if (!file.endsWith(".xml")) {
                continue;
            }
            io.github.libvirthooks.features.domain.Domain domain;
            try {
                domain = new io.github.libvirthooks.features.domain.DomainXmlParser().parse(
                        host.read(DOMAIN_DEFINITIONS + "/" + file).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                continue;
            }
            if (!domain.pciHostdevs().isEmpty()) {
                checks.add(passthrough(domain));
            }
        }
        return checks;
    }

    private Check passthrough(io.github.libvirthooks.features.domain.Domain domain) {
        java.util.Set<io.github.libvirthooks.sysfs.pci.PciAddress> given = domain.pciHostdevs().stream()
                .map(io.github.libvirthooks.features.domain.Domain.PciHostdev::address)
                .collect(Collectors.toCollection(java.util.TreeSet::new));
        List<String> shown = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        io.github.libvirthooks.sysfs.pci.IommuGroups groups = new io.github.libvirthooks.sysfs.pci.IommuGroups(host);
        for (io.github.libvirthooks.sysfs.pci.PciAddress address : given) {
            io.github.libvirthooks.sysfs.pci.PciDevice device = new io.github.libvirthooks.sysfs.pci.PciDevice(host, address);
            if (!device.exists()) {
                problems.add(address.text() + " is not on this host");
                continue;
            }
            java.util.OptionalInt group = device.iommuGroup();
            shown.add(address.text() + " (" + device.driver().orElse("no driver") + (group.isPresent() ? ", group "
                    + group.getAsInt() : ", no IOMMU group") + ")");
            if (group.isPresent()) {
                for (io.github.libvirthooks.sysfs.pci.PciAddress member : groups.devices(group.getAsInt())) {
                    if (!given.contains(member) && !new io.github.libvirthooks.sysfs.pci.PciDevice(host, member).isBridge()) {
                        problems.add("group " + group.getAsInt() + " also holds " + member.text() + ", which " + domain.name()
                                + " does not get");
                    }
                }
            }
        }
        String what = domain.name() + ": " + (shown.isEmpty() ? "no function found" : String.join(", ", shown));
        if (problems.isEmpty()) {
            return Check.ok("vfio", what);
        }
        return Check.warn("vfio", what + "; " + String.join("; ", problems.stream().distinct().toList()),
                "pass every function of the group to the VM (<hostdev> each), or move the card to a slot with its own group");
    }

    /** VFIO needs the IOMMU: the kernel lists groups only when it is on. */
    Check iommu() {
        int groups = new io.github.libvirthooks.sysfs.pci.IommuGroups(host).count();
        String cmdline = host.readIfExists("/proc/cmdline").orElse("");
        io.github.libvirthooks.sysfs.kernel.KernelCommandLine line = io.github.libvirthooks.sysfs.kernel.KernelCommandLine.parse(cmdline);
        String asked = line.value("intel_iommu").map(v -> "intel_iommu=" + v).or(() -> line.value("amd_iommu").map(v -> "amd_iommu=" + v))
                .orElse("neither intel_iommu nor amd_iommu on the kernel command line");
        if (groups > 0) {
            return Check.ok("iommu", groups + " IOMMU groups (" + asked + "): PCI passthrough and gpu-handoff can work");
        }
        return Check.warn("iommu", "off: no IOMMU groups in /sys/kernel/iommu_groups (" + asked + "); PCI passthrough and"
                + " gpu-handoff need it", "turn on VT-d or AMD-Vi in the firmware and add intel_iommu=on (Intel) or amd_iommu=on"
                + " (AMD) to the kernel command line");
    }

    /** The first libvirt with {@code qemu.d/}: older ones run only {@code /etc/libvirt/hooks/qemu}. */
    static final int[] QEMU_D_SINCE = {6, 5};

    Check libvirtVersion() {
        String name = QemuDaemon.qemuDriver(host).map(QemuDaemon::name).orElse(QemuDaemon.LIBVIRTD);
        Optional<Path> daemon = tool(name).or(() -> tool(QemuDaemon.LIBVIRTD)).or(() -> tool(QemuDaemon.VIRTQEMUD));
        if (daemon.isEmpty()) {
            return Check.fail("libvirt", "neither libvirtd nor virtqemud found on PATH",
                    "install libvirt (apt-get install libvirt-daemon-system; dnf install libvirt-daemon-kvm)");
        }
        try {
            CommandResult r = commands.run(List.of(daemon.get().toString(), "--version"), Duration.ofSeconds(10));
            Matcher m = VERSION.matcher(r.stdout());
            if (!m.find()) {
                return Check.warn("libvirt", "cannot read the version from '" + r.stdout().strip() + "'", "");
            }
            int major = Integer.parseInt(m.group(1));
            int minor = Integer.parseInt(m.group(2));
            if (major < QEMU_D_SINCE[0] || (major == QEMU_D_SINCE[0] && minor < QEMU_D_SINCE[1])) {
                return beforeQemuD(m.group());
            }
            return Check.ok("libvirt", "version " + m.group() + " (runs hooks in qemu.d/)");
        } catch (RuntimeException e) {
            return Check.warn("libvirt", "cannot run " + daemon.get().getFileName() + " --version: " + e.getMessage(), "");
        }
    }

    /** libvirt before 6.5 runs only the one {@code qemu} script: something there must run qemu.d/ for it. */
    private Check beforeQemuD(String version) {
        String what = "version " + version + " runs only " + layout.monolithicHook() + ", not qemu.d/";
        if (Dispatcher.isOurs(layout.monolithicHook())) {
            return Check.ok("libvirt", what + ": libvirt-hooks' dispatcher there runs every executable in qemu.d/");
        }
        if (Files.exists(layout.monolithicHook())) {
            return Check.warn("libvirt", what + "; " + layout.monolithicHook() + " is another tool's",
                    "make it run " + layout.launcher() + " with the same arguments and standard input, or upgrade libvirt to 6.5.0 or newer");
        }
        return Check.warn("libvirt", what + ", so libvirt never runs the hook", "run 'libvirt-hooks install --dispatcher' (writes "
                + layout.monolithicHook() + ", which runs every executable in qemu.d/), or upgrade libvirt to 6.5.0 or newer");
    }

    Check hookInstalled() {
        Path launcher = layout.launcher();
        if (!Files.exists(launcher)) {
            return Check.fail("hook", "no launcher at " + launcher, "run 'libvirt-hooks install'");
        }
        if (!Files.isExecutable(launcher)) {
            return Check.fail("hook", launcher + " is not executable, libvirtd skips it", "run 'libvirt-hooks install' again");
        }
        return Check.ok("hook", "launcher installed at " + launcher);
    }

    /**
     * The daemon that runs the QEMU driver (libvirtd, or virtqemud of the modular daemons)
     * decides at its start whether QEMU hooks exist (DESIGN.md §2). The check is named after it.
     */
    Check daemonSeesHook() {
        List<QemuDaemon> running = QemuDaemon.all(host).stream().filter(QemuDaemon::running).toList();
        if (running.size() > 1) {
            return Check.warn(QemuDaemon.VIRTQEMUD, "both libvirtd and virtqemud run, each with a QEMU driver: VMs started"
                    + " through one are invisible to the other", "keep one: systemctl disable --now libvirtd.service"
                    + " libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket (modular), or the virtqemud units (monolithic)");
        }
        Optional<QemuDaemon> found = QemuDaemon.qemuDriver(host);
        if (found.isEmpty()) {
            return Check.warn(QemuDaemon.LIBVIRTD, "neither libvirtd nor virtqemud runs or listens on its socket",
                    "start libvirtd (systemctl start libvirtd), or virtqemud on a host with the modular daemons"
                            + " (systemctl start virtqemud.socket)");
        }
        QemuDaemon daemon = found.get();
        if (!daemon.running()) {
            return Check.ok(daemon.name(), "not running now; its socket starts it at the next connection, and it then"
                    + " runs the hooks installed by then");
        }
        Optional<Instant> started = daemon.since().or(() -> ProcessHandle.of(daemon.pid().getAsLong())
                .flatMap(p -> p.info().startInstant()).filter(i -> host.root().equals(Path.of("/"))));
        if (started.isEmpty()) {
            return Check.ok(daemon.name(), "running (pid " + daemon.pid().getAsLong() + ", start time unknown: if it started"
                    + " before the hook was installed, restart it once)");
        }
        try {
            Instant installed = Files.getLastModifiedTime(layout.launcher()).toInstant();
            boolean otherHookBefore = Files.isExecutable(layout.monolithicHook())
                    && Files.getLastModifiedTime(layout.monolithicHook()).toInstant().isBefore(started.get());
            if (installed.isAfter(started.get()) && !otherHookBefore && !olderHookInQemuD(started.get())) {
                return Check.warn(daemon.name(), "started before the hook was installed and saw no hook then, so it does not"
                        + " run it", "restart " + daemon.name() + " once (" + restartCommand(daemon) + ")");
            }
            return Check.ok(daemon.name(), "running since " + started.get() + ", hooks enabled");
        } catch (java.io.IOException e) {
            return Check.warn(daemon.name(), "running, but the hook is not installed", "run 'libvirt-hooks install'");
        }
    }

    private String restartCommand(QemuDaemon daemon) {
        return host.exists("/run/systemd/system") ? "systemctl restart " + daemon.name()
                : "with your init system, e.g. rc-service " + daemon.name() + " restart or sv restart " + daemon.name();
    }

    /**
     * The hook's class-data archive must match the JDK the launcher runs; a JDK update makes
     * the JVM ignore it silently, and hooks start slower until install rebuilds it.
     */
    Check classDataArchive() {
        Path archive = layout.classDataArchive();
        if (!Files.exists(layout.launcher())) {
            return Check.warn("archive", "no hook installed", "run 'libvirt-hooks install'");
        }
        // On JDK 25 and newer install builds an AOT cache instead; -XX:AOTMode=on fails where the JVM would skip it.
        boolean aot = Files.exists(layout.aotCache());
        if (aot) {
            archive = layout.aotCache();
        } else if (!Files.exists(archive)) {
            return Check.warn("archive", "no class-data archive: hooks start slower", "run 'libvirt-hooks install' again to build it");
        }
        try {
            String launcher = Files.readString(layout.launcher());
            Matcher java = Pattern.compile("(?m)^JAVA='([^']*)'").matcher(launcher);
            // classpath='...' since the launcher checks its jars; -cp '...' in launchers installed before.
            Matcher classpath = Pattern.compile("(?m)(?:^classpath=|-cp )'([^']*)'").matcher(launcher);
            if (!java.find() || !classpath.find()) {
                return Check.warn("archive", "cannot read the launcher's java and classpath", "run 'libvirt-hooks install' again");
            }
            List<String> argv = new ArrayList<>(List.of(java.group(1)));
            argv.addAll(aot ? io.github.libvirthooks.app.install.Installer.HOOK_JVM_OPTIONS : List.of());
            argv.addAll(aot ? List.of("-XX:AOTCache=" + archive, "-XX:AOTMode=on") : List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:on"));
            argv.addAll(List.of("-cp", classpath.group(1), "-version"));
            CommandResult r = commands.run(argv, Duration.ofSeconds(30));
            return r.succeeded() ? Check.ok("archive", archive + " matches " + java.group(1))
                    : Check.warn("archive", archive + " does not match the JDK " + java.group(1) + " (updated?): hooks start slower",
                            "run 'libvirt-hooks install' again to rebuild it");
        } catch (java.io.IOException | RuntimeException e) {
            return Check.warn("archive", "cannot check " + archive + ": " + e.getMessage(), "");
        }
    }

    Check cgroups() {
        try {
            CgroupVersion version = CgroupMounts.read(host).version();
            return switch (version) {
                case V2 -> Check.ok("cgroups", "cgroup v2 (unified)");
                case HYBRID -> Check.warn("cgroups", "hybrid v1/v2: cpusets are on v1", "isolcpu needs cgroup v2: boot with"
                        + " systemd.unified_cgroup_hierarchy=1");
                default -> Check.warn("cgroups", version.name().toLowerCase(java.util.Locale.ROOT), "isolcpu needs cgroup v2");
            };
        } catch (RuntimeException e) {
            return Check.warn("cgroups", "cannot tell: " + e.getMessage(), "");
        }
    }

    List<Check> hugepages() {
        List<Check> checks = new ArrayList<>();
        HugePages hugePages = new HugePages(host);
        List<HugePageSize> sizes = hugePages.supportedSizes();
        if (sizes.isEmpty()) {
            checks.add(Check.warn("hugepages", "the kernel offers no hugepages", "hugepages needs a kernel with CONFIG_HUGETLBFS"));
            return checks;
        }
        checks.add(Check.ok("hugepages", "page sizes " + sizes.stream().map(HugePageSize::toString).collect(Collectors.joining(", "))));
        try {
            boolean mounted = !Mountinfo.read(host).ofType("hugetlbfs").isEmpty();
            checks.add(mounted ? Check.ok("hugetlbfs", "mounted")
                    : Check.warn("hugetlbfs", "not mounted: a VM with <memoryBacking><hugepages/> fails with 'hugetlbfs"
                            + " filesystem is not mounted'", "mount -t hugetlbfs hugetlbfs /dev/hugepages, then restart "
                            + QemuDaemon.qemuDriver(host).map(QemuDaemon::name).orElse(QemuDaemon.LIBVIRTD)
                            + " (it looks for the mount only when it starts)"));
        } catch (RuntimeException e) {
            checks.add(Check.warn("hugetlbfs", "cannot read the mount table: " + e.getMessage(), ""));
        }
        return checks;
    }

    Check systemd() {
        return host.exists("/run/systemd/system") ? Check.ok("systemd", "running as init")
                : Check.warn("systemd", "not the init system: nosleep, dosleep, dohibernate and beforeoff-dohibernate refuse to"
                        + " start a VM here, isolcpu uses its cgroup backend", "");
    }

    List<Check> tools() {
        List<Check> checks = new ArrayList<>();
        String[][] needs = {
            {"chrt", "cfscpu", "util-linux"}, {"renice", "cfscpu", "util-linux"}, {"systemctl", "isolcpu, nosleep", "systemd"},
            {"systemd-inhibit", "nosleep", "systemd"}, {"ddcutil", "ddcutil", "ddcutil"}, {"smbd", "virtual-nas", "samba"},
            {"virsh", "dosleep, dohibernate, plan", "libvirt-clients"}};
        for (String[] need : needs) {
            checks.add(tool(need[0]).isPresent() ? Check.ok("tool " + need[0], "found")
                    : Check.warn("tool " + need[0], "missing (needed by " + need[1] + ")", "apt-get install " + need[2]));
        }
        return checks;
    }

    Check stateDir() {
        Path dir = layout.stateDir();
        Path existing = dir;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing != null && Files.isWritable(existing)) {
            return Check.ok("state", dir + (Files.exists(dir) ? " writable" : " can be created"));
        }
        return Check.fail("state", dir + " is not writable", "run the hook as root (libvirtd does)");
    }

    private boolean olderHookInQemuD(Instant before) {
        try (var entries = Files.list(layout.hookDir())) {
            return entries.filter(p -> !p.equals(layout.launcher())).filter(Files::isExecutable).anyMatch(p -> {
                try {
                    return Files.getLastModifiedTime(p).toInstant().isBefore(before);
                } catch (java.io.IOException e) {
                    return false;
                }
            });
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private Optional<Path> tool(String name) {
        return path.stream().map(dir -> dir.resolve(name)).filter(Files::isExecutable).findFirst();
    }
}
