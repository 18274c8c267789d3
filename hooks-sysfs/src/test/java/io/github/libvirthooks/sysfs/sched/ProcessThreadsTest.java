package io.github.libvirthooks.sysfs.sched;

import io.github.libvirthooks.sysfs.FakeTree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessThreadsTest {
    @TempDir
    Path tmp;

    /** A /proc/PID/task/TID/stat line as Linux 6.x prints it (52 fields). */
    static String stat(int tid, String comm, int nice, int rtPriority, int policy) {
        StringBuilder s = new StringBuilder(tid + " (" + comm + ") S");
        for (int field = 4; field <= 52; field++) {
            int value = switch (field) {
                case 18 -> rtPriority > 0 ? -1 - rtPriority : 20 + nice;
                case 19 -> nice;
                case 20 -> 7;
                case 40 -> rtPriority;
                case 41 -> policy;
                default -> field * 3;
            };
            s.append(' ').append(value);
        }
        return s.toString();
    }

    static FakeTree thread(FakeTree tree, int pid, int tid, String comm, int nice, int rtPriority, int policy) {
        String dir = "/proc/" + pid + "/task/" + tid;
        return tree.file(dir + "/comm", comm).file(dir + "/stat", stat(tid, comm, nice, rtPriority, policy));
    }

    private FakeTree qemu() {
        FakeTree tree = new FakeTree(tmp);
        thread(tree, 4000, 4000, "qemu-system-x86", 0, 0, 0);
        thread(tree, 4000, 4001, "call_rcu", 0, 0, 0);
        thread(tree, 4000, 4012, "CPU 1/KVM", 0, 10, 1);
        thread(tree, 4000, 4011, "CPU 0/KVM", 0, 10, 1);
        thread(tree, 4000, 4010, "IO iothread1", -5, 0, 0);
        thread(tree, 4000, 4020, "CPU 10/TCG", 0, 0, 3);
        thread(tree, 4000, 4030, "worker", 19, 0, 5);
        return tree;
    }

    @Test
    void listsThreadsWithTheirNames() {
        assertThat(new ProcessThreads(qemu().host()).threads(4000)).containsExactly(
                new TaskThread(4000, 4000, "qemu-system-x86"),
                new TaskThread(4000, 4001, "call_rcu"),
                new TaskThread(4000, 4010, "IO iothread1"),
                new TaskThread(4000, 4011, "CPU 0/KVM"),
                new TaskThread(4000, 4012, "CPU 1/KVM"),
                new TaskThread(4000, 4020, "CPU 10/TCG"),
                new TaskThread(4000, 4030, "worker"));
    }

    @Test
    void findsVcpuAndIoThreads() {
        ProcessThreads threads = new ProcessThreads(qemu().host());

        assertThat(threads.vcpuThreads(4000)).containsExactly(
                new VcpuThread(0, new TaskThread(4000, 4011, "CPU 0/KVM")),
                new VcpuThread(1, new TaskThread(4000, 4012, "CPU 1/KVM")),
                new VcpuThread(10, new TaskThread(4000, 4020, "CPU 10/TCG")));
        assertThat(threads.ioThreads(4000)).extracting(TaskThread::tid).containsExactly(4010);
    }

    @Test
    void vcpuIndexOnlyForQemuVcpuNames() {
        assertThat(new TaskThread(1, 2, "CPU 3/KVM").vcpuIndex()).isEqualTo(OptionalInt.of(3));
        assertThat(new TaskThread(1, 2, "CPU x/KVM").vcpuIndex()).isEmpty();
        assertThat(new TaskThread(1, 2, "CPU 3/KVM ").vcpuIndex()).isEmpty();
        assertThat(new TaskThread(1, 2, "ALL CPUs/TCG").vcpuIndex()).isEmpty();
    }

    @Test
    void readsSchedulingFromStat() {
        ProcessThreads threads = new ProcessThreads(qemu().host());

        assertThat(threads.scheduling(4000, 4011)).isEqualTo(new Scheduling(SchedPolicy.FIFO, 10, 0));
        assertThat(threads.scheduling(4000, 4010)).isEqualTo(new Scheduling(SchedPolicy.OTHER, 0, -5));
        assertThat(threads.scheduling(new TaskThread(4000, 4020, "CPU 10/TCG"))).isEqualTo(new Scheduling(SchedPolicy.BATCH, 0, 0));
        assertThat(threads.scheduling(4000, 4030)).isEqualTo(new Scheduling(SchedPolicy.IDLE, 0, 19));
    }

    @Test
    void commWithParenthesesAndSpacesIsParsedFromTheLastParenthesis() {
        FakeTree tree = thread(new FakeTree(tmp), 77, 78, "a) (b ) 9 9 (c", 4, 0, 3);

        assertThat(new ProcessThreads(tree.host()).threads(77)).containsExactly(new TaskThread(77, 78, "a) (b ) 9 9 (c"));
        assertThat(new ProcessThreads(tree.host()).scheduling(77, 78)).isEqualTo(new Scheduling(SchedPolicy.BATCH, 0, 4));
    }

    @Test
    void malformedStatIsReportedWithThePath() {
        FakeTree tree = new FakeTree(tmp)
                .file("/proc/5/task/5/stat", "5 (x) S 1 2 3")
                .file("/proc/6/task/6/stat", "6 x S 1 2 3")
                .file("/proc/7/task/7/stat", withField(stat(7, "x", 0, 0, 0), 19, "y"));
        ProcessThreads threads = new ProcessThreads(tree.host());

        assertThatThrownBy(() -> threads.scheduling(5, 5))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("/proc/5/task/5/stat: malformed");
        assertThatThrownBy(() -> threads.scheduling(6, 6))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("no (name) field");
        assertThatThrownBy(() -> threads.scheduling(7, 7))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("field 19 is 'y', not a number");
        thread(tree, 8, 8, "x", 0, 0, 9);
        assertThatThrownBy(() -> threads.scheduling(8, 8))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("unknown scheduling policy 9");
    }

    @Test
    void missingProcessOrThreadIsAClearError() {
        ProcessThreads threads = new ProcessThreads(HostRoot.at(tmp));

        assertThatThrownBy(() -> threads.threads(1234))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("process 1234 does not exist");
        assertThatThrownBy(() -> threads.scheduling(1234, 1235))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("thread 1235 of process 1234 does not exist");
    }

    @Test
    void threadThatExitedWhileListingIsLeftOutAndOddNamesIgnored() throws Exception {
        FakeTree tree = qemu().dir("/proc/4000/task/not-a-tid");
        // A dangling link is listed but gone when read, like a thread that exits mid-listing.
        Files.createSymbolicLink(tree.local("/proc/4000/task/4999"), tree.local("/proc/4000/task/gone"));

        assertThat(new ProcessThreads(tree.host()).threads(4000)).hasSize(7);
    }

    @Test
    void unreadableCommOfALiveThreadIsAnError() {
        FakeTree tree = qemu().dir("/proc/4000/task/4998");

        assertThatThrownBy(() -> new ProcessThreads(tree.host()).threads(4000))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("/proc/4000/task/4998/comm");
    }

    private static String withField(String stat, int number, String value) {
        String[] fields = stat.split(" ");
        fields[number - 1] = value;
        return String.join(" ", fields);
    }

    @Test
    void refusesNonPositiveIds() {
        ProcessThreads threads = new ProcessThreads(HostRoot.at(tmp));

        assertThatThrownBy(() -> threads.threads(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid pid 0");
        assertThatThrownBy(() -> threads.scheduling(1, -3)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid tid -3");
    }

    @Test
    void realHostListsOurOwnThreads() {
        int pid = (int) ProcessHandle.current().pid();
        ProcessThreads threads = new ProcessThreads(HostRoot.system());

        assertThat(threads.threads(pid)).isNotEmpty().anySatisfy(t -> assertThat(t.tid()).isEqualTo(pid));
        assertThat(threads.scheduling(pid, pid).policy()).isNotNull();
    }
}
