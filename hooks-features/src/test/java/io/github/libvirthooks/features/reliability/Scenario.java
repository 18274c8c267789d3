package io.github.libvirthooks.features.reliability;

import static io.github.libvirthooks.sysfs.hugetlb.HugePageSize.TWO_MIB;

import io.github.libvirthooks.testkit.FakeHost;
import java.util.List;
import java.util.function.Consumer;

/**
 * One feature combination a user can enable, with the host it runs on: what the VM's XML
 * says and how the fake host differs from the plain one.
 *
 * @param name   how the figures name it
 * @param hooks  the {@code <hooks>} children of the VM's metadata
 * @param memory whether the VM is hugepage-backed
 * @param qemu   whether a QEMU process runs between {@code started} and {@code stopped} (cfscpu needs its threads)
 * @param setup  what the host has on top of {@link FakeHost#vfioDesktop}
 * @param devices      the {@code <devices>} children of the VM's XML ({@code <hostdev>}s)
 * @param whileRunning what the VM's life does to the host between {@code started} and {@code stopped}
 *                     (QEMU leaving USB interfaces without their drivers)
 */
record Scenario(String name, String hooks, boolean memory, boolean qemu, Consumer<FakeHost> setup, String devices,
        Consumer<FakeHost> whileRunning) {

    /** A scenario without host devices whose life leaves the host alone. */
    Scenario(String name, String hooks, boolean memory, boolean qemu, Consumer<FakeHost> setup) {
        this(name, hooks, memory, qemu, setup, "", t -> { });
    }

    static final String VM = "win10";
    static final int QEMU_ID = 1;
    static final int QEMU_PID = 4000;
    static final int VCPUS = 2;

    /** The combinations the README documents, plus the paths inside them that take extra steps. */
    static List<Scenario> documented() {
        return List.of(
                new Scenario("hugepages", "<hugepages/>", true, false, t -> { }),
                new Scenario("hugepages-compaction", "<hugepages/>", true, false,
                        t -> t.hugePages().limitAllocatable(TWO_MIB, 0, 10).onCompaction(TWO_MIB, 0, 1000)),
                new Scenario("isolcpu-cgroup", "<isolcpu backend='cgroup'/>", false, false, t -> { }),
                new Scenario("isolcpu-cgroup-all-knobs", "<isolcpu backend='cgroup' partition='isolated' workqueue='true'"
                        + " irq='true' timer-migration='false'/>", false, false, t -> { }),
                new Scenario("isolcpu-systemd", "<isolcpu backend='systemd'/>", false, false, FakeHostCommands::systemd),
                new Scenario("cfscpu", "<cfscpu policy='fifo' priority='10' weight='200' rt-runtime='-1' iothreads='true'/>",
                        false, true, t -> { }),
                new Scenario("hugepages+isolcpu+cfscpu", "<hugepages/><isolcpu backend='cgroup'/>"
                        + "<cfscpu policy='fifo' priority='10' weight='200' rt-runtime='-1'/>", true, true, t -> { }));
    }

    /**
     * {@link #documented()} and the single-GPU hand-off: a host whose only GPU (with its audio
     * function) drives the display, the display manager active, fbcon and efi-framebuffer bound.
     * Kept out of {@link #documented()}: the suites that count shared claims do not apply to it.
     */
    static List<Scenario> faultInjected() {
        List<Scenario> all = new java.util.ArrayList<>(documented());
        all.addAll(hostTuning());
        all.add(new Scenario("gpu-handoff", "<gpu-handoff devices='0000:01:00.0' unload-modules='true'/>", false, false, t -> {
            t.pciFunction("0000:01:00.0", "amdgpu", 12, "0x030000", "0x1002")
                    .pciFunction("0000:01:00.1", "snd_hda_intel", 12, "0x040300", "0x1002")
                    .bootVga("0000:01:00.0", "card0", "renderD128").vtconsoles()
                    .platformFramebuffer("efi-framebuffer", "efi-framebuffer.0").pciDriverModule("amdgpu", "amdgpu")
                    .file("/proc/modules", "amdgpu 9 0 - Live 0x0\nvfio_pci 1 0 - Live 0x0");
            io.github.libvirthooks.features.gpuhandoff.FakeGpuCommands.systemdWithGdm(t);
        }));
        all.addAll(lookingGlass());
        return List.copyOf(all);
    }

    /**
     * Looking Glass, both modes: the /dev/shm file made and removed, and kvmfr loaded, its device
     * given to the user and the module unloaded. In the crash suite too; kept out of
     * {@link #documented()} for the same reason as gpu-handoff.
     */
    static List<Scenario> lookingGlass() {
        Consumer<FakeHost> desktop = t -> {
            int[] ids = io.github.libvirthooks.features.lookingglass.FakeKvmfr.ownableIds(t.root());
            io.github.libvirthooks.features.lookingglass.FakeKvmfr.desktopAccounts(t, ids[0], ids[1]);
            t.file("/proc/modules", "vfio_pci 1 0 - Live 0x0");
        };
        return List.of(
                new Scenario("looking-glass-shm", "<looking-glass user='alice' size='32M'/>", false, false, desktop),
                new Scenario("looking-glass-kvmfr", "<looking-glass mode='kvmfr' user='alice' size='64M'/>", false, false, desktop));
    }

    /**
     * The host tuning features that came after the stored release-1 journals: in the fault and
     * crash suites ({@link #faultInjected()}, {@link #crashed()}), not in the suites that replay
     * a stored journal per {@link #documented()} scenario. cpufreq on intel_pstate (one policy per
     * CPU, EPP, min-freq), on acpi-cpufreq with two CPUs per policy, and on amd-pstate active,
     * whose kernel refuses a preference under the performance governor; usb-return with a USB
     * device and a USB controller that do not come back by themselves.
     */
    static List<Scenario> hostTuning() {
        return List.of(
                new Scenario("cpufreq-intel-pstate", "<cpufreq min-freq='max'/>", false, false,
                        t -> t.cpufreq(FakeHost.CpufreqDriver.INTEL_PSTATE, 1)),
                new Scenario("cpufreq-acpi-shared-policies", "<cpufreq cpus='all'/>", false, false,
                        t -> t.cpufreq(FakeHost.CpufreqDriver.ACPI_CPUFREQ, 2)),
                new Scenario("cpufreq-amd-pstate-active", "<cpufreq/>", false, false,
                        t -> t.cpufreq(FakeHost.CpufreqDriver.AMD_PSTATE_ACTIVE, 1)),
                // A keyboard whose interfaces QEMU leaves without a driver and a USB controller libvirt leaves unbound.
                new Scenario("usb-return+cpufreq", "<usb-return/><cpufreq/>", false, false, t -> t
                        .cpufreq(FakeHost.CpufreqDriver.ACPI_CPUFREQ, 1).usbDevice("1-2", "046d", "c52b", 1, 5, "usbhid", "usbhid")
                        .pciFunction("0000:05:00.0", "xhci_hcd", 14, "0x0c0330", "0x1912"),
                        "<hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='0x046d'/><product id='0xc52b'/>"
                                + "</source></hostdev><hostdev mode='subsystem' type='pci' managed='yes'><source><address"
                                + " domain='0x0000' bus='0x05' slot='0x00' function='0x0'/></source></hostdev>",
                        t -> t.usbDetached("1-2").pciUnbound("0000:05:00.0")));
    }

    /** The scenarios the crash suite kills at every step. */
    static List<Scenario> crashed() {
        List<Scenario> all = new java.util.ArrayList<>(documented());
        all.addAll(hostTuning());
        all.addAll(lookingGlass());
        return List.copyOf(all);
    }

    FakeHost host(java.nio.file.Path root) {
        FakeHost tree = FakeHost.vfioDesktop(root);
        setup.accept(tree);
        return tree;
    }

    String xml() {
        String xml = xml(VM, 64, memory, "<vcpupin vcpu='0' cpuset='2,6'/><vcpupin vcpu='1' cpuset='3,7'/>", hooks);
        return devices.isEmpty() ? xml : xml.replace("<metadata>", "<devices>" + devices + "</devices><metadata>");
    }

    /**
     * A domain XML as libvirt passes it on stdin. A VM that pins only vCPU 0 gives its other vCPUs the same CPUs
     * through {@code <vcpu cpuset>}, so that every vCPU is pinned (libvirt pins vCPUs without a pin there).
     */
    static String xml(String name, int memoryMiB, boolean hugepages, String cputune, String hooks) {
        java.util.regex.Matcher first = java.util.regex.Pattern.compile("<vcpupin vcpu='0' cpuset='([^']*)'/>").matcher(cputune);
        String cpuset = !cputune.contains("<vcpupin vcpu='1'") && first.find() ? " cpuset='" + first.group(1) + "'" : "";
        return "<domain type='kvm'><name>" + name + "</name><uuid>6f1c2b9e-0000-4000-8000-000000000001</uuid>"
                + "<memory unit='MiB'>" + memoryMiB + "</memory>"
                + (hugepages ? "<memoryBacking><hugepages/></memoryBacking>" : "")
                + "<vcpu" + cpuset + ">" + VCPUS + "</vcpu>"
                + (cputune.isEmpty() ? "" : "<cputune>" + cputune + "</cputune>")
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'>" + hooks + "</hooks></metadata></domain>";
    }
}
