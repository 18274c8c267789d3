package io.github.libvirthooks.features.cfscpu;

import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cgroup.LibvirtMachineScope;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.sysfs.sched.SchedPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A host tree with a running QEMU: its threads under {@code /proc}, optionally its libvirt
 * cgroup v2 scope with {@code vcpuN} cgroups, and {@code chrt}/{@code renice} that change the
 * threads' {@code stat} files the way the kernel would, recording each argv.
 */
final class FakeQemu implements CommandRunner {
    static final String CGROUP = "/sys/fs/cgroup";
    static final String MOUNTINFO = "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate";

    final List<List<String>> ran = new ArrayList<>();
    final Set<Integer> refuse = new HashSet<>();
    private final Path root;

    FakeQemu(Path root) {
        this.root = root;
        file("/proc/sys/kernel/sched_rt_runtime_us", "950000");
        file("/proc/sys/kernel/sched_rt_period_us", "1000000");
    }

    HostRoot host() {
        return HostRoot.at(root);
    }

    /** A QEMU process {@code pid} with vCPU threads {@code pid+1..pid+vcpus} and an IOThread. */
    FakeQemu process(String vm, int pid, int vcpus) {
        file("/run/libvirt/qemu/" + vm + ".pid", Integer.toString(pid));
        thread(pid, pid, "qemu-system-x86", SchedPolicy.OTHER, 0, 0);
        thread(pid, pid + 100, "call_rcu", SchedPolicy.OTHER, 0, 0);
        thread(pid, pid + 50, "IO iothread1", SchedPolicy.OTHER, 0, 0);
        for (int v = 0; v < vcpus; v++) {
            thread(pid, pid + 1 + v, "CPU " + v + "/KVM", SchedPolicy.OTHER, 0, 0);
        }
        return this;
    }

    /** libvirt's systemd scope for domain {@code id} with a {@code libvirt/vcpuN} cgroup per vCPU thread. */
    FakeQemu scope(String vm, int id, int pid, int vcpus) {
        file("/proc/self/mountinfo", MOUNTINFO);
        file(CGROUP + "/cgroup.controllers", "cpuset cpu io memory pids");
        String scope = CGROUP + "/machine.slice/"
                + LibvirtMachineScope.systemdScopeName(LibvirtMachineScope.machineName("qemu", id, vm));
        file(scope + "/cgroup.procs", Integer.toString(pid));
        for (int v = 0; v < vcpus; v++) {
            String dir = scope + "/libvirt/vcpu" + v;
            file(dir + "/cgroup.threads", Integer.toString(pid + 1 + v));
            file(dir + "/cpu.weight", "100");
        }
        file(scope + "/libvirt/iothread1/cgroup.threads", Integer.toString(pid + 50));
        file(scope + "/libvirt/emulator/cgroup.threads", pid + "\n" + (pid + 100));
        return this;
    }

    String scopePath(String vm, int id) {
        return CGROUP + "/machine.slice/" + LibvirtMachineScope.systemdScopeName(LibvirtMachineScope.machineName("qemu", id, vm));
    }

    /** One thread, listed under its process and readable as {@code /proc/TID/task/TID/stat}. */
    FakeQemu thread(int pid, int tid, String comm, SchedPolicy policy, int rtPriority, int nice) {
        file("/proc/" + pid + "/task/" + tid + "/comm", comm);
        String stat = stat(tid, comm, policy, rtPriority, nice);
        file("/proc/" + pid + "/task/" + tid + "/stat", stat);
        file("/proc/" + tid + "/task/" + tid + "/comm", comm);
        return file("/proc/" + tid + "/task/" + tid + "/stat", stat);
    }

    /** The thread's stat fields: policy, RT priority and nice as the kernel reports them. */
    String sched(int tid) {
        String[] f = read("/proc/" + tid + "/task/" + tid + "/stat").substring(read("/proc/" + tid + "/task/" + tid + "/stat")
                .lastIndexOf(')') + 2).split(" ");
        return SchedPolicy.fromKernelNumber(Integer.parseInt(f[41 - 3])).orElseThrow().kernelName() + " " + f[40 - 3] + " " + f[19 - 3];
    }

    @Override
    public CommandResult run(List<String> argv, Duration timeout) {
        ran.add(argv);
        int tid = Integer.parseInt(argv.get(argv.size() - 1));
        if (refuse.contains(tid)) {
            return new CommandResult(argv, 1, "", argv.get(0) + ": failed to set pid " + tid + "'s policy: Operation not permitted\n");
        }
        String path = "/proc/" + tid + "/task/" + tid + "/stat";
        if (!Files.exists(root.resolve(path.substring(1)))) {
            return new CommandResult(argv, 1, "", argv.get(0) + ": failed to get pid " + tid + "'s policy: No such process\n");
        }
        String[] now = sched(tid).split(" ");
        SchedPolicy policy = SchedPolicy.valueOf(now[0].substring("SCHED_".length()));
        int rt = Integer.parseInt(now[1]);
        int nice = Integer.parseInt(now[2]);
        switch (argv.get(0)) {
            case "chrt" -> {
                policy = switch (argv.get(1)) {
                    case "--other" -> SchedPolicy.OTHER;
                    case "--fifo" -> SchedPolicy.FIFO;
                    case "--rr" -> SchedPolicy.RR;
                    case "--batch" -> SchedPolicy.BATCH;
                    case "--idle" -> SchedPolicy.IDLE;
                    default -> throw new AssertionError(argv);
                };
                rt = Integer.parseInt(argv.get(3));
            }
            case "renice" -> nice = Integer.parseInt(argv.get(2));
            default -> {
                return new CommandResult(argv, 127, "", argv.get(0) + ": not found\n");
            }
        }
        String comm = read("/proc/" + tid + "/task/" + tid + "/comm");
        file(path, stat(tid, comm, policy, rt, nice));
        return new CommandResult(argv, 0, "", "");
    }

    private static String stat(int tid, String comm, SchedPolicy policy, int rtPriority, int nice) {
        StringBuilder s = new StringBuilder(tid + " (" + comm + ") S");
        for (int field = 4; field <= 52; field++) {
            int value = switch (field) {
                case 19 -> nice;
                case 40 -> rtPriority;
                case 41 -> policy.kernelNumber();
                default -> field;
            };
            s.append(' ').append(value);
        }
        return s.toString();
    }

    FakeQemu file(String hostPath, String content) {
        try {
            Path file = root.resolve(hostPath.substring(1));
            Files.createDirectories(file.getParent());
            Files.writeString(file, content + "\n", StandardCharsets.UTF_8);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    FakeQemu deleteTree(String hostPath) {
        try (var walk = Files.walk(root.resolve(hostPath.substring(1)))) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String read(String hostPath) {
        return host().read(hostPath);
    }
}
