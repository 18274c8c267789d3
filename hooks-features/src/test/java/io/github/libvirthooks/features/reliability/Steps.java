package io.github.libvirthooks.features.reliability;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.HostWriteListener;
import io.github.libvirthooks.sysfs.exec.CommandException;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Every step a hook run takes on the host, seen at the two choke points: host writes (through
 * {@link HostRoot}'s listener, triggers included) and commands (through a {@link CommandRunner}
 * wrapper). It counts them, and optionally makes the N-th one fail (the write is refused with
 * an {@link IOException}, the command throws a {@link CommandException}) or kills the run before
 * or after the N-th one with a {@link Crash}.
 */
final class Steps implements HostWriteListener {
    /**
     * Stands for SIGKILL: an {@link Error}, so that no {@code catch (RuntimeException)} in the
     * engine or a feature sees it and no rollback runs. (The engine's {@code finally} still
     * releases the lock, which the kernel also does for a killed process.)
     */
    static final class Crash extends Error {
        Crash(String where) {
            super("simulated SIGKILL " + where);
        }
    }

    private final int failAt;
    private final int crashBefore;
    private final int crashAfter;
    private final List<String> seen = new ArrayList<>();
    private String failed;
    private boolean crashPending;

    private Steps(int failAt, int crashBefore, int crashAfter) {
        this.failAt = failAt;
        this.crashBefore = crashBefore;
        this.crashAfter = crashAfter;
    }

    static Steps counting() {
        return new Steps(0, 0, 0);
    }

    /** The {@code n}-th step (from 1) fails; the others go through. */
    static Steps failingAt(int n) {
        return new Steps(n, 0, 0);
    }

    /** The run dies just before the {@code n}-th step: its journal entry may be saved, the host not yet touched. */
    static Steps crashingBefore(int n) {
        return new Steps(0, n, 0);
    }

    /** The run dies right after the {@code n}-th step took effect. */
    static Steps crashingAfter(int n) {
        return new Steps(0, 0, n);
    }

    HostRoot on(HostRoot host) {
        return host.withListener(this);
    }

    CommandRunner on(CommandRunner commands) {
        return (argv, timeout) -> {
            int n = enter("command " + String.join(" ", argv));
            if (n == failAt) {
                throw new CommandException(argv, argv.get(0) + " failed: injected fault at step " + n);
            }
            CommandResult result = commands.run(argv, timeout);
            if (n == crashAfter) {
                throw new Crash("after step " + n + " (" + String.join(" ", argv) + ")");
            }
            return result;
        };
    }

    synchronized int count() {
        return seen.size();
    }

    synchronized List<String> seen() {
        return List.copyOf(seen);
    }

    /** The step that was made to fail, if it was reached. */
    synchronized String failed() {
        return failed;
    }

    @Override
    public void beforeWrite(Change intended) throws IOException {
        int n = enter("write " + intended.path() + " = " + intended.after());
        if (n == failAt) {
            throw new IOException("injected fault at step " + n);
        }
    }

    @Override
    public void beforeTrigger(String path, String value) throws IOException {
        int n = enter("trigger " + path + " = " + value);
        if (n == failAt) {
            throw new IOException("injected fault at step " + n);
        }
        if (n == crashAfter) {
            // A trigger has no afterWrite: the process dies before whatever comes next.
            crashPending = true;
        }
    }

    @Override
    public void beforeCreate(String path) throws IOException {
        failOrCount("create " + path);
    }

    @Override
    public void beforeRemove(String path) throws IOException {
        failOrCount("remove " + path);
    }

    @Override
    public void beforeOwnership(Change intended) throws IOException {
        failOrCount("owner " + intended.path() + " = " + intended.after());
    }

    private void failOrCount(String step) throws IOException {
        int n = enter(step);
        if (n == failAt) {
            throw new IOException("injected fault at step " + n);
        }
    }

    /** A creation, removal or owner change took effect: the process may die right after it. */
    @Override
    public void afterChange(String path) {
        if (count() == crashAfter && seen().get(crashAfter - 1).split(" ")[1].equals(path)) {
            throw new Crash("after step " + crashAfter + " (" + seen().get(crashAfter - 1) + ")");
        }
    }

    @Override
    public void afterWrite(Change done) {
        if (count() == crashAfter && seen().get(crashAfter - 1).startsWith("write " + done.path() + " ")) {
            throw new Crash("after step " + crashAfter + " (" + done.path() + " = " + done.after() + ")");
        }
    }

    private synchronized int enter(String step) {
        if (crashPending) {
            throw new Crash("after step " + crashAfter);
        }
        int n = seen.size() + 1;
        if (n == crashBefore) {
            throw new Crash("before step " + n + " (" + step + ")");
        }
        seen.add(step);
        if (n == failAt) {
            failed = step;
        }
        return n;
    }
}
