package io.github.libvirthooks.sysfs.sched;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The threads of a process ({@code /proc/PID/task/*}) with their names and scheduling, and
 * QEMU's vCPU, I/O and emulator threads among them.
 *
 * <p>Threads come and go while they are listed: one that exits between the listing and the
 * read of its files is left out rather than reported as an error.
 */
public final class ProcessThreads {
    /** The kernel's PID_MAX_LIMIT on 64-bit: no pid or tid is larger. */
    static final int PID_MAX = 4_194_304;

    private final HostRoot host;

    /** Processes below {@code host}. */
    public ProcessThreads(HostRoot host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    /**
     * The threads of process {@code pid}, by ascending thread id.
     *
     * @throws HostAccessException if there is no such process
     */
    public List<TaskThread> threads(int pid) {
        String taskDir = "/proc/" + requireId("pid", pid) + "/task";
        if (!host.isDirectory(taskDir)) {
            throw new HostAccessException(taskDir, "process " + pid + " does not exist (" + taskDir + " is missing)");
        }
        List<TaskThread> threads = new ArrayList<>();
        for (String name : host.list(taskDir)) {
            int tid = parseId(name);
            if (tid <= 0) {
                continue;
            }
            String comm = taskDir + "/" + tid + "/comm";
            try {
                threads.add(new TaskThread(pid, tid, host.read(comm)));
            } catch (HostAccessException e) {
                if (host.exists(taskDir + "/" + tid)) {
                    throw e;
                }
            }
        }
        threads.sort(Comparator.comparingInt(TaskThread::tid));
        return List.copyOf(threads);
    }

    /** QEMU's vCPU threads ({@code CPU N/KVM}) of process {@code pid}, by vCPU index. */
    public List<VcpuThread> vcpuThreads(int pid) {
        List<VcpuThread> vcpus = new ArrayList<>();
        for (TaskThread t : threads(pid)) {
            t.vcpuIndex().ifPresent(index -> vcpus.add(new VcpuThread(index, t)));
        }
        vcpus.sort(Comparator.comparingInt(VcpuThread::vcpu));
        return List.copyOf(vcpus);
    }

    /** QEMU's I/O threads ({@code IO <id>}) of process {@code pid}. */
    public List<TaskThread> ioThreads(int pid) {
        return threads(pid).stream().filter(TaskThread::isIoThread).toList();
    }

    /**
     * The scheduling of thread {@code tid} of process {@code pid}, from
     * {@code /proc/PID/task/TID/stat}.
     *
     * @throws HostAccessException if the thread does not exist or its stat is malformed
     */
    public Scheduling scheduling(int pid, int tid) {
        String path = "/proc/" + requireId("pid", pid) + "/task/" + requireId("tid", tid) + "/stat";
        if (!host.exists(path)) {
            throw new HostAccessException(path, "thread " + tid + " of process " + pid + " does not exist (" + path + " is missing)");
        }
        return parseStat(path, host.read(path));
    }

    /** The scheduling of {@code thread}. */
    public Scheduling scheduling(TaskThread thread) {
        return scheduling(thread.pid(), thread.tid());
    }

    /**
     * Parses a {@code stat} line: fields after the name, which is in parentheses and may itself
     * hold spaces and parentheses, so counting starts after the last {@code ')'}.
     */
    static Scheduling parseStat(String path, String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0 || stat.indexOf('(') < 0 || stat.indexOf('(') > close) {
            throw new HostAccessException(path, path + ": malformed, no (name) field");
        }
        String[] fields = stat.substring(close + 1).strip().split("\\s+");
        // fields[0] is field 3 (state); field n is fields[n - 3].
        if (fields.length < 39) {
            throw new HostAccessException(path, path + ": malformed, " + (fields.length + 2)
                    + " fields where at least 41 are expected");
        }
        int nice = field(path, fields, 19);
        int rtPriority = field(path, fields, 40);
        int policyNumber = field(path, fields, 41);
        SchedPolicy policy = SchedPolicy.fromKernelNumber(policyNumber).orElseThrow(() ->
                new HostAccessException(path, path + ": unknown scheduling policy " + policyNumber));
        return new Scheduling(policy, rtPriority, nice);
    }

    private static int field(String path, String[] fields, int number) {
        String text = fields[number - 3];
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new HostAccessException(path, path + ": field " + number + " is '" + text + "', not a number");
        }
    }

    static int requireId(String what, int id) {
        if (id < 1 || id > PID_MAX) {
            throw new IllegalArgumentException("invalid " + what + " " + id + ": must be 1.." + PID_MAX);
        }
        return id;
    }

    private static int parseId(String name) {
        if (name.isEmpty() || name.length() > 7 || !name.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        int id = Integer.parseInt(name);
        return id <= PID_MAX ? id : -1;
    }
}
