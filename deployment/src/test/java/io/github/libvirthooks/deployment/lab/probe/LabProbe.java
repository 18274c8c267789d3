package io.github.libvirthooks.deployment.lab.probe;

import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cgroup.Cgroup;
import io.github.libvirthooks.sysfs.cgroup.CgroupMounts;
import io.github.libvirthooks.sysfs.cgroup.CgroupVersion;
import io.github.libvirthooks.sysfs.cgroup.LibvirtMachineScope;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import io.github.libvirthooks.sysfs.cpu.CpuTopology;
import io.github.libvirthooks.sysfs.hugetlb.HugePagePool;
import io.github.libvirthooks.sysfs.hugetlb.HugePageRelease;
import io.github.libvirthooks.sysfs.hugetlb.HugePageReservation;
import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;
import io.github.libvirthooks.sysfs.hugetlb.HugePages;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What the lab guest's checks ask of {@code hooks-sysfs} on a real host: the lab's shell
 * checks run it as {@code lab-probe <what>} and it exits 0 when the library reads (and, for
 * hugepages, changes) the guest the way the lab was booted. It runs only inside the lab
 * guest, on the guest's real {@code /sys} and {@code /proc}: never on the build host.
 *
 * <p>The lab boots 4 vCPUs as 1 socket x 2 cores x 2 threads over two NUMA nodes (cpus 0-1
 * on node 0, 2-3 on node 1); see {@code deployment/lab/run-lab.sh}.
 */
public final class LabProbe {
    /** Pages the hugepage probe takes on node 1 and gives back. */
    static final int PROBE_PAGES = 8;

    private final HostRoot host;

    private LabProbe(HostRoot host) {
        this.host = host;
    }

    /**
     * Runs one probe: {@code cgroup}, {@code topology}, {@code hugepages} or
     * {@code scope <domain-name> <domain-id>}. Exits 0 when it holds, 1 with a
     * {@code FAIL:} line when not, 2 for a wrong command line.
     */
    public static void main(String[] args) {
        LabProbe probe = new LabProbe(HostRoot.system());
        try {
            switch (args.length == 0 ? "" : args[0]) {
                case "cgroup" -> probe.cgroup();
                case "topology" -> probe.topology();
                case "hugepages" -> probe.hugepages();
                case "scope" -> {
                    if (args.length != 3) {
                        usage();
                    }
                    probe.scope(args[1], Integer.parseInt(args[2]));
                }
                default -> usage();
            }
        } catch (ProbeFailure e) {
            System.out.println("FAIL: " + e.getMessage());
            System.exit(1);
        } catch (RuntimeException e) {
            System.out.println("FAIL: " + e);
            e.printStackTrace(System.out);
            System.exit(1);
        }
        System.out.println("OK");
    }

    private static void usage() {
        System.err.println("usage: LabProbe cgroup | topology | hugepages | scope <domain-name> <domain-id>");
        System.exit(2);
    }

    /** hooks-sysfs sees a pure cgroup v2 host whose root offers the cpuset controller. */
    private void cgroup() {
        CgroupMounts mounts = CgroupMounts.read(host);
        CgroupVersion version = mounts.version();
        System.out.println("cgroup version: " + version + ", unified mount: " + mounts.unifiedMountPoint().orElse("none"));
        expect(version == CgroupVersion.V2, "hooks-sysfs reads cgroup version " + version + ", expected V2");
        Cgroup root = mounts.unifiedRoot(host);
        expect(root.hostPath().equals(CgroupMounts.UNIFIED_MOUNT_POINT), "unified root at " + root.hostPath());
        System.out.println("root controllers: " + root.controllers());
        expect(root.controllers().contains("cpuset"), "the root cgroup offers no cpuset controller: " + root.controllers());
        expect(root.child("system.slice").exists() && root.child("init.scope").exists(),
                "no system.slice or init.scope below " + root.hostPath() + ": is systemd PID 1?");
    }

    /** SMT siblings and the two nodes, as booted. */
    private void topology() {
        CpuTopology topology = CpuTopology.read(host);
        System.out.println(topology);
        expect(topology.online().equals(CpuSet.range(0, 3)), "online CPUs " + topology.online().toList() + ", expected 0-3");
        CpuSet siblings = topology.siblingsOf(0);
        expect(siblings.equals(CpuSet.of(0, 1)), "cpu0's SMT siblings are " + siblings.toList() + ", expected 0-1");
        expect(topology.siblingsOf(3).equals(CpuSet.of(2, 3)), "cpu3's SMT siblings are " + topology.siblingsOf(3).toList());
        List<CpuSet> cores = topology.physicalCores();
        expect(cores.size() == 2, "found " + cores.size() + " physical cores " + cores + ", expected 2");
        expect(topology.nodes().equals(CpuSet.of(0, 1)), "nodes " + topology.nodes().toList() + ", expected 0-1");
        expect(topology.nodesWithMemory().equals(CpuSet.of(0, 1)),
                "nodes with memory " + topology.nodesWithMemory().toList() + ", expected 0-1");
        expect(topology.cpusOfNode(0).equals(CpuSet.of(0, 1)), "node 0 has CPUs " + topology.cpusOfNode(0).toList());
        expect(topology.cpusOfNode(1).equals(CpuSet.of(2, 3)), "node 1 has CPUs " + topology.cpusOfNode(1).toList());
        expect(topology.nodeOf(2) == 1, "cpu2 is on node " + topology.nodeOf(2) + ", expected 1");
    }

    /** 8 x 2 MiB pages reserved on node 1 land there, not on node 0, and all go back. */
    private void hugepages() {
        HugePages hugePages = new HugePages(host);
        expect(hugePages.isSupported(), "the kernel offers no hugepages");
        expect(hugePages.supportedSizes().contains(HugePageSize.TWO_MIB), "no 2 MiB pages: " + hugePages.supportedSizes());
        expect(hugePages.nodes().equals(List.of(0, 1)), "hugepage nodes " + hugePages.nodes() + ", expected [0, 1]");
        HugePageSize size = HugePageSize.TWO_MIB;
        HugePagePool pool = HugePagePool.onNode(size, 1);
        long node0Before = hugePages.nodeCounters(size, 0).nrHugepages();
        long node1Before = hugePages.nodeCounters(size, 1).nrHugepages();
        long globalBefore = hugePages.counters(size).nrHugepages();
        System.out.println("before: node0 " + node0Before + ", node1 " + node1Before + ", total " + globalBefore);

        HugePageReservation reservation = hugePages.reserveOrThrow(pool, PROBE_PAGES, Duration.ofSeconds(10));
        System.out.println("reserved: " + reservation);
        try {
            long node0 = hugePages.nodeCounters(size, 0).nrHugepages();
            long node1 = hugePages.nodeCounters(size, 1).nrHugepages();
            long global = hugePages.counters(size).nrHugepages();
            System.out.println("after reserve: node0 " + node0 + ", node1 " + node1 + ", total " + global);
            expect(node1 == node1Before + PROBE_PAGES, "node 1 has " + node1 + " pages, expected " + (node1Before + PROBE_PAGES));
            expect(node0 == node0Before, "node 0 changed from " + node0Before + " to " + node0 + " pages");
            expect(global == globalBefore + PROBE_PAGES, "the total is " + global + ", expected " + (globalBefore + PROBE_PAGES));
            expect(host.readLong(pool.nrHugepagesPath()) == node1, "sysfs and hooks-sysfs disagree on node 1");
        } finally {
            HugePageRelease release = hugePages.release(pool, reservation.granted());
            System.out.println("released: " + release);
        }
        long node1After = hugePages.nodeCounters(size, 1).nrHugepages();
        long globalAfter = hugePages.counters(size).nrHugepages();
        System.out.println("after release: node1 " + node1After + ", total " + globalAfter);
        expect(node1After == node1Before, "node 1 kept " + (node1After - node1Before) + " pages after release");
        expect(globalAfter == globalBefore, "the total kept " + (globalAfter - globalBefore) + " pages after release");
    }

    /** libvirt's systemd scope of a running domain is where hooks-sysfs looks for it. */
    private void scope(String domainName, int domainId) {
        Cgroup root = CgroupMounts.read(host).unifiedRoot(host);
        Optional<LibvirtMachineScope> byId = LibvirtMachineScope.find(root, domainName, OptionalInt.of(domainId));
        expect(byId.isPresent(), "LibvirtMachineScope.find found no cgroup for domain " + domainName + " id " + domainId
                + " below " + root.child(LibvirtMachineScope.SYSTEMD_PARTITION).hostPath());
        LibvirtMachineScope scope = byId.get();
        System.out.println("found: " + scope);
        String expected = LibvirtMachineScope.SYSTEMD_PARTITION + "/"
                + LibvirtMachineScope.systemdScopeName(LibvirtMachineScope.machineName(LibvirtMachineScope.QEMU, domainId, domainName));
        expect(scope.layout() == LibvirtMachineScope.Layout.SYSTEMD, "layout " + scope.layout() + ", expected SYSTEMD");
        expect(scope.cgroup().path().equals(expected), "scope at " + scope.cgroup().path() + ", expected " + expected);
        expect(scope.domainId() == domainId, "domain id " + scope.domainId() + ", expected " + domainId);
        expect(scope.threadParent().name().equals("libvirt"), "thread cgroups not in the nested 'libvirt' cgroup: " + scope.threadParent().path());
        expect(scope.vcpu(0).isPresent(), "no vcpu0 cgroup below " + scope.threadParent().hostPath());
        expect(scope.emulator().isPresent(), "no emulator cgroup below " + scope.threadParent().hostPath());
        System.out.println("vcpus: " + scope.vcpus().stream().map(v -> v.cgroup().path()).toList());
        Optional<LibvirtMachineScope> byName = LibvirtMachineScope.find(root, domainName, OptionalInt.empty());
        expect(byName.isPresent() && byName.get().cgroup().equals(scope.cgroup()), "find without the id gives " + byName);
    }

    private static void expect(boolean holds, String otherwise) {
        if (!holds) {
            throw new ProbeFailure(otherwise);
        }
    }

    /** A probe whose expectation does not hold on this host. */
    static final class ProbeFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ProbeFailure(String message) {
            super(message);
        }
    }
}
