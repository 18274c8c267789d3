package io.github.libvirthooks.sysfs.sched;

import io.github.libvirthooks.sysfs.FakeTree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ThreadSchedulingTest {
    private static final int TID = 4011;

    @TempDir
    Path tmp;

    /** Plays chrt and renice against the fake tree, as the kernel would, and records each argv. */
    private final class FakeTools implements CommandRunner {
        final List<List<String>> ran = new ArrayList<>();
        final FakeTree tree;
        int exitCode;
        boolean kernelIgnoresNice;

        FakeTools(FakeTree tree) {
            this.tree = tree;
        }

        @Override
        public CommandResult run(List<String> argv, Duration timeout) {
            ran.add(argv);
            if (exitCode != 0) {
                return new CommandResult(argv, exitCode, "", argv.get(0) + ": failed to set pid " + argv.get(argv.size() - 1) + "'s policy: Operation not permitted\n");
            }
            int tid = Integer.parseInt(argv.get(argv.size() - 1));
            Scheduling now = new ProcessThreads(tree.host()).scheduling(tid, tid);
            Scheduling next = switch (argv.get(0)) {
                case "chrt" -> new Scheduling(policyOf(argv.get(1)), Integer.parseInt(argv.get(3)), now.nice());
                case "renice" -> new Scheduling(now.policy(), now.rtPriority(), kernelIgnoresNice ? now.nice() : Integer.parseInt(argv.get(2)));
                default -> throw new AssertionError(argv);
            };
            write(tree, tid, next);
            return new CommandResult(argv, 0, "", "");
        }

        private SchedPolicy policyOf(String option) {
            for (SchedPolicy p : SchedPolicy.values()) {
                if (p.isSettable() && p.chrtOption().equals(option)) {
                    return p;
                }
            }
            throw new AssertionError(option);
        }
    }

    private static void write(FakeTree tree, int tid, Scheduling s) {
        ProcessThreadsTest.thread(tree, tid, tid, "CPU 0/KVM", s.nice(), s.rtPriority(), s.policy().kernelNumber());
    }

    private FakeTools tools(Scheduling initial) {
        FakeTree tree = new FakeTree(tmp);
        write(tree, TID, initial);
        return new FakeTools(tree);
    }

    @Test
    void setRunsChrtForTheThreadAndReturnsBeforeAndAfter() {
        FakeTools tools = tools(new Scheduling(SchedPolicy.OTHER, 0, 0));
        ThreadScheduling scheduling = new ThreadScheduling(tools.tree.host(), tools);

        SchedulingChange change = scheduling.set(TID, SchedPolicy.FIFO, 10);

        assertThat(tools.ran).containsExactly(List.of("chrt", "--fifo", "-p", "10", "4011"));
        assertThat(change).isEqualTo(new SchedulingChange(TID,
                new Scheduling(SchedPolicy.OTHER, 0, 0), new Scheduling(SchedPolicy.FIFO, 10, 0)));
    }

    @Test
    void setNiceRunsRenice() {
        FakeTools tools = tools(new Scheduling(SchedPolicy.OTHER, 0, 0));

        SchedulingChange change = new ThreadScheduling(tools.tree.host(), tools).setNice(TID, -5);

        assertThat(tools.ran).containsExactly(List.of("renice", "-n", "-5", "-p", "4011"));
        assertThat(change.after()).isEqualTo(new Scheduling(SchedPolicy.OTHER, 0, -5));
    }

    @Test
    void restorePutsPolicyAndNiceBackInThatOrder() {
        FakeTools tools = tools(new Scheduling(SchedPolicy.BATCH, 0, 3));
        ThreadScheduling scheduling = new ThreadScheduling(tools.tree.host(), tools);
        SchedulingChange toFifo = scheduling.set(TID, SchedPolicy.RR, 20);
        scheduling.setNice(TID, -2);
        tools.ran.clear();

        SchedulingChange restored = scheduling.restore(toFifo);

        assertThat(tools.ran).containsExactly(
                List.of("chrt", "--batch", "-p", "0", "4011"),
                List.of("renice", "-n", "3", "-p", "4011"));
        assertThat(restored.after()).isEqualTo(new Scheduling(SchedPolicy.BATCH, 0, 3));
    }

    @Test
    void restoreOfAnUnchangedThreadRunsNothing() {
        FakeTools tools = tools(new Scheduling(SchedPolicy.OTHER, 0, 0));
        ThreadScheduling scheduling = new ThreadScheduling(tools.tree.host(), tools);
        Scheduling same = new Scheduling(SchedPolicy.OTHER, 0, 0);

        assertThat(scheduling.restore(new SchedulingChange(TID, same, same)).isNoOp()).isTrue();
        assertThat(tools.ran).isEmpty();
    }

    @Test
    void validatesPriorityAndNiceRangesBeforeRunningAnything() {
        FakeTools tools = tools(new Scheduling(SchedPolicy.OTHER, 0, 0));
        ThreadScheduling scheduling = new ThreadScheduling(tools.tree.host(), tools);

        assertThatThrownBy(() -> scheduling.set(TID, SchedPolicy.FIFO, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1..99");
        assertThatThrownBy(() -> scheduling.set(TID, SchedPolicy.RR, 100)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1..99");
        assertThatThrownBy(() -> scheduling.set(TID, SchedPolicy.BATCH, 5)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be 0");
        assertThatThrownBy(() -> scheduling.set(TID, SchedPolicy.DEADLINE, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SCHED_DEADLINE cannot be set");
        assertThatThrownBy(() -> scheduling.setNice(TID, 20)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-20..19");
        assertThatThrownBy(() -> scheduling.setNice(TID, -21)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-20..19");
        assertThatThrownBy(() -> scheduling.set(0, SchedPolicy.OTHER, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid tid 0");
        assertThatThrownBy(() -> scheduling.setNice(-1, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid tid -1");
        assertThat(tools.ran).isEmpty();
    }

    @Test
    void failingToolIsASchedulingExceptionNamingTheThread() {
        FakeTools tools = tools(new Scheduling(SchedPolicy.OTHER, 0, 0));
        tools.exitCode = 1;

        assertThatThrownBy(() -> new ThreadScheduling(tools.tree.host(), tools).set(TID, SchedPolicy.FIFO, 1))
                .isInstanceOf(SchedulingException.class)
                .hasMessageContaining("thread 4011")
                .hasMessageContaining("Operation not permitted");
    }

    @Test
    void valueTheKernelDidNotApplyIsDetected() {
        FakeTools tools = tools(new Scheduling(SchedPolicy.OTHER, 0, 0));
        tools.kernelIgnoresNice = true;

        assertThatThrownBy(() -> new ThreadScheduling(tools.tree.host(), tools).setNice(TID, 5))
                .isInstanceOf(SchedulingException.class)
                .hasMessageContaining("asked for nice 5 but the kernel reports nice 0");
    }

    @Test
    void realChrtAndReniceOnAChildProcess() throws Exception {
        assumeThat(onPath("chrt")).as("chrt installed").isTrue();
        assumeThat(onPath("renice")).as("renice installed").isTrue();
        Process child = new ProcessBuilder("sleep", "30").start();
        try {
            int pid = (int) child.pid();
            ThreadScheduling scheduling = new ThreadScheduling(HostRoot.system(), CommandRunner.system());
            ProcessThreads threads = new ProcessThreads(HostRoot.system());
            Scheduling original = scheduling.read(pid);
            assumeThat(original.policy()).isEqualTo(SchedPolicy.OTHER);

            SchedulingChange batch = scheduling.set(pid, SchedPolicy.BATCH, 0);
            assertThat(threads.scheduling(pid, pid).policy()).isEqualTo(SchedPolicy.BATCH);
            assertThat(batch.before()).isEqualTo(original);

            int nice = Math.min(19, original.nice() + 5);
            SchedulingChange niced = scheduling.setNice(pid, nice);
            assertThat(threads.scheduling(pid, pid)).isEqualTo(new Scheduling(SchedPolicy.BATCH, 0, nice));

            if (isRoot()) {
                scheduling.restore(niced);
                scheduling.restore(batch);
                assertThat(threads.scheduling(pid, pid)).isEqualTo(original);

                SchedulingChange fifo = scheduling.set(pid, SchedPolicy.FIFO, 1);
                assertThat(threads.scheduling(pid, pid)).isEqualTo(new Scheduling(SchedPolicy.FIFO, 1, original.nice()));
                scheduling.restore(fifo);
                assertThat(threads.scheduling(pid, pid)).isEqualTo(original);
            } else {
                scheduling.restore(batch);
                assertThat(threads.scheduling(pid, pid).policy()).isEqualTo(SchedPolicy.OTHER);
            }
        } finally {
            child.destroyForcibly();
            child.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isRoot() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(line -> line.startsWith("Uid:"))
                .anyMatch(line -> line.split("\\s+")[2].equals("0"));
    }
}
