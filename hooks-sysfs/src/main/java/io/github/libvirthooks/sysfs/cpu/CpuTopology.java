package io.github.libvirthooks.sysfs.cpu;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The host's CPUs, their physical cores and NUMA nodes, read once from
 * {@code /sys/devices/system/cpu} and {@code /sys/devices/system/node}.
 *
 * <p>A snapshot: CPU hotplug after {@link #read} is not seen. Only online CPUs get a
 * {@link Cpu} record, because the kernel removes the {@code topology} directory of an offline
 * CPU. Hardware threads of one core are grouped by {@code thread_siblings_list}, never by
 * number: siblings may be {@code 0,1} on one machine and {@code 0,4} on another, and
 * {@code core_id} repeats across packages. A kernel built without NUMA has no
 * {@code /sys/devices/system/node}: then there is one node, 0, holding every online CPU.
 */
public final class CpuTopology {
    static final String CPU_DIR = "/sys/devices/system/cpu";
    static final String NODE_DIR = "/sys/devices/system/node";
    private static final Pattern NODE_NAME = Pattern.compile("node(\\d{1,4})");

    private final CpuSet online;
    private final CpuSet possible;
    private final Map<Integer, Cpu> cpus;
    private final Map<Integer, CpuSet> nodeCpus;
    private final CpuSet nodes;
    private final CpuSet nodesWithMemory;

    private CpuTopology(CpuSet online, CpuSet possible, Map<Integer, Cpu> cpus,
                        Map<Integer, CpuSet> nodeCpus, CpuSet nodes, CpuSet nodesWithMemory) {
        this.online = online;
        this.possible = possible;
        this.cpus = Collections.unmodifiableMap(cpus);
        this.nodeCpus = Collections.unmodifiableMap(nodeCpus);
        this.nodes = nodes;
        this.nodesWithMemory = nodesWithMemory;
    }

    /**
     * Reads the topology below {@code host}.
     *
     * @throws HostAccessException if {@code /sys/devices/system/cpu/online} is missing (sysfs
     *                             not mounted) or a topology file holds garbage
     */
    public static CpuTopology read(HostRoot host) {
        Objects.requireNonNull(host, "host");
        String onlinePath = CPU_DIR + "/online";
        if (!host.exists(onlinePath)) {
            throw new HostAccessException(onlinePath, "cannot read the CPU topology: " + onlinePath
                    + " is missing (is sysfs mounted on /sys?)");
        }
        CpuSet online = readList(host, onlinePath);
        if (online.isEmpty()) {
            throw new HostAccessException(onlinePath, onlinePath + " lists no online CPU");
        }
        CpuSet possible = readListOr(host, CPU_DIR + "/possible", online);

        Map<Integer, CpuSet> nodeCpus = new TreeMap<>();
        CpuSet nodes;
        CpuSet withMemory;
        if (host.isDirectory(NODE_DIR)) {
            nodes = host.exists(NODE_DIR + "/online") ? readList(host, NODE_DIR + "/online") : listedNodes(host);
            for (int node : nodes.stream().toArray()) {
                String cpulist = NODE_DIR + "/node" + node + "/cpulist";
                nodeCpus.put(node, readListOr(host, cpulist, CpuSet.empty()).intersection(online));
            }
            withMemory = readListOr(host, NODE_DIR + "/has_memory", nodes);
        } else {
            nodes = CpuSet.of(0);
            nodeCpus.put(0, online);
            withMemory = nodes;
        }

        Map<Integer, Cpu> cpus = new LinkedHashMap<>();
        for (int id : online.stream().toArray()) {
            cpus.put(id, readCpu(host, id, online, nodeOfCpu(nodeCpus, id)));
        }
        return new CpuTopology(online, possible, cpus, nodeCpus, nodes, withMemory);
    }

    /** {@code /sys/devices/system/cpu/online}: CPUs the scheduler can use now. */
    public CpuSet online() {
        return online;
    }

    /** {@code /sys/devices/system/cpu/possible}: every CPU number this boot can ever have. */
    public CpuSet possible() {
        return possible;
    }

    /**
     * The kernel's {@code nr_cpu_ids}: highest possible CPU plus one, the width the kernel uses
     * when it prints a hex CPU mask ({@link CpuSet#toMask(int)}).
     */
    public int nrCpuIds() {
        return possible.last() + 1;
    }

    /** The online CPUs, in ascending order. */
    public List<Cpu> cpus() {
        return List.copyOf(cpus.values());
    }

    /** The online CPU {@code id}, or empty if it is offline or does not exist. */
    public Optional<Cpu> cpu(int id) {
        return Optional.ofNullable(cpus.get(id));
    }

    /**
     * The online hardware threads sharing {@code cpu}'s physical core, {@code cpu} included.
     *
     * @throws IllegalArgumentException if {@code cpu} is not online
     */
    public CpuSet siblingsOf(int cpu) {
        return require(cpu).siblings();
    }

    /** Online NUMA nodes ({@code /sys/devices/system/node/online}); {@code 0} without NUMA. */
    public CpuSet nodes() {
        return nodes;
    }

    /** Nodes with memory ({@code has_memory}): where hugepages can be reserved. */
    public CpuSet nodesWithMemory() {
        return nodesWithMemory;
    }

    /**
     * The online CPUs of NUMA node {@code node} ({@code nodeN/cpulist}); empty for a
     * memory-only node.
     *
     * @throws IllegalArgumentException if the node is not online
     */
    public CpuSet cpusOfNode(int node) {
        CpuSet set = nodeCpus.get(node);
        if (set == null) {
            throw new IllegalArgumentException("NUMA node " + node + " is not online; online nodes: " + nodes);
        }
        return set;
    }

    /**
     * The NUMA node of an online CPU, {@code -1} if no node lists it.
     *
     * @throws IllegalArgumentException if {@code cpu} is not online
     */
    public int nodeOf(int cpu) {
        return require(cpu).node();
    }

    /**
     * The physical cores: each element is the set of online hardware threads of one core,
     * ordered by their lowest CPU number.
     */
    public List<CpuSet> physicalCores() {
        Set<CpuSet> cores = new LinkedHashSet<>();
        for (Cpu cpu : cpus.values()) {
            cores.add(cpu.siblings());
        }
        List<CpuSet> sorted = new ArrayList<>(cores);
        sorted.sort((a, b) -> Integer.compare(a.stream().findFirst().orElse(-1), b.stream().findFirst().orElse(-1)));
        return List.copyOf(sorted);
    }

    /**
     * The physical cores that {@code cpus} splits: some online hardware threads of the core are
     * in {@code cpus}, others are not. Empty when {@code cpus} takes whole cores only (or on a
     * host without SMT).
     */
    public List<SplitCore> splitCores(CpuSet cpus) {
        Objects.requireNonNull(cpus, "cpus");
        List<SplitCore> split = new ArrayList<>();
        for (CpuSet core : physicalCores()) {
            CpuSet inside = core.intersection(cpus);
            CpuSet outside = core.difference(cpus);
            if (!inside.isEmpty() && !outside.isEmpty()) {
                split.add(new SplitCore(core, inside, outside));
            }
        }
        return List.copyOf(split);
    }

    @Override
    public String toString() {
        return "CpuTopology[online=" + online + ", cores=" + physicalCores().size() + ", nodes=" + nodes + "]";
    }

    private Cpu require(int cpu) {
        Cpu found = cpus.get(cpu);
        if (found == null) {
            throw new IllegalArgumentException("CPU " + cpu + " is not online; online CPUs: " + online);
        }
        return found;
    }

    private static Cpu readCpu(HostRoot host, int id, CpuSet online, int node) {
        String topology = CPU_DIR + "/cpu" + id + "/topology";
        int coreId = readIntOr(host, topology + "/core_id", -1);
        int packageId = readIntOr(host, topology + "/physical_package_id", -1);
        int dieId = readIntOr(host, topology + "/die_id", -1);
        CpuSet siblings = readListOr(host, topology + "/thread_siblings_list", CpuSet.of(id)).intersection(online);
        return new Cpu(id, coreId, packageId, node, siblings, dieId);
    }

    private static int nodeOfCpu(Map<Integer, CpuSet> nodeCpus, int cpu) {
        for (Map.Entry<Integer, CpuSet> entry : nodeCpus.entrySet()) {
            if (entry.getValue().contains(cpu)) {
                return entry.getKey();
            }
        }
        return -1;
    }

    private static CpuSet listedNodes(HostRoot host) {
        List<Integer> found = new ArrayList<>();
        for (String name : host.list(NODE_DIR)) {
            var m = NODE_NAME.matcher(name);
            if (m.matches()) {
                found.add(Integer.parseInt(m.group(1)));
            }
        }
        return CpuSet.of(found.stream().mapToInt(Integer::intValue).toArray());
    }

    static CpuSet readList(HostRoot host, String path) {
        String text = host.read(path);
        try {
            return CpuSet.parseList(text);
        } catch (IllegalArgumentException e) {
            throw new HostAccessException(path, path + ": " + e.getMessage(), e);
        }
    }

    private static CpuSet readListOr(HostRoot host, String path, CpuSet fallback) {
        return host.exists(path) ? readList(host, path) : fallback;
    }

    private static int readIntOr(HostRoot host, String path, int fallback) {
        if (!host.exists(path)) {
            return fallback;
        }
        long value = host.readLong(path);
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new HostAccessException(path, path + ": " + value + " is out of range");
        }
        return (int) value;
    }
}
