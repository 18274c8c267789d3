package io.github.libvirthooks.features.reliability;

import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.hook.HookLog;
import io.github.libvirthooks.features.hook.QemuHook;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.testkit.FakeHost;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Runs hostile input through the hook or a reader and judges the outcome: it either works or
 * fails with a clear one-line message of ours; it never escapes the sandbox, never runs an
 * unexpected command, never hangs, never ends in a stack trace. Counts every case for the
 * figures.
 */
final class Hostile {
    static final Duration CASE_TIMEOUT = Duration.ofSeconds(20);
    private static final Pattern STACK_TRACE = Pattern.compile("(^\\s+at [\\w$.]+\\(|\\b(java|javax|jdk|sun|org|io)\\.[\\w.$]+"
            + "(Exception|Error)\\b|^Caused by:|^Exception in thread)");

    /** The figures of one suite. */
    static final class Tally {
        final AtomicInteger cases = new AtomicInteger();
        final AtomicInteger worked = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();
        final AtomicInteger escapes = new AtomicInteger();
        final AtomicInteger crashes = new AtomicInteger();
        final AtomicInteger hangs = new AtomicInteger();
        final List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());

        /** Adds another tally's counts to this one. */
        synchronized void add(Tally other) {
            cases.addAndGet(other.cases.get());
            worked.addAndGet(other.worked.get());
            refused.addAndGet(other.refused.get());
            escapes.addAndGet(other.escapes.get());
            crashes.addAndGet(other.crashes.get());
            hangs.addAndGet(other.hangs.get());
        }

        void print(String suite) {
            Figures.print(suite, "cases", cases.get(), "worked", worked.get(), "refused-cleanly", refused.get(), "escapes",
                    escapes.get(), "crashes", crashes.get(), "hangs", hangs.get());
        }
    }

    private static final ExecutorService RUNNER = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hostile-case");
        t.setDaemon(true);
        return t;
    });

    private Hostile() {
    }

    /**
     * A throwable our code may end with on bad input: one of our own exceptions, or an
     * {@link IllegalArgumentException} with a message, on one line. A bare
     * {@link NumberFormatException} ("For input string") says nothing of where.
     */
    static String judge(Throwable e) {
        if (e instanceof NumberFormatException || !(e instanceof RuntimeException)) {
            return "crash: " + e;
        }
        boolean ours = e.getClass().getName().startsWith("io.github.libvirthooks.");
        if (!ours && !(e instanceof IllegalArgumentException)) {
            return "crash: " + e;
        }
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return "unclear message: " + e.getClass().getName() + ": " + message;
        }
        if (message.contains("\n")) {
            return "message on several lines: " + e.getClass().getName() + ": " + message;
        }
        return "";
    }

    /** Calls a reader or parser on bad input; returns true if it worked. */
    static boolean call(Tally tally, String what, Callable<?> call) {
        tally.cases.incrementAndGet();
        Future<?> future = RUNNER.submit(call);
        try {
            future.get(CASE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            tally.worked.incrementAndGet();
            return true;
        } catch (TimeoutException e) {
            future.cancel(true);
            tally.hangs.incrementAndGet();
            tally.problems.add(what + ": still running after " + CASE_TIMEOUT.toSeconds() + " s");
        } catch (ExecutionException e) {
            String verdict = judge(e.getCause());
            if (verdict.isEmpty()) {
                tally.refused.incrementAndGet();
            } else {
                tally.crashes.incrementAndGet();
                tally.problems.add(what + ": " + verdict + stackTop(e.getCause()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return false;
    }

    private static String stackTop(Throwable e) {
        StackTraceElement[] trace = e.getStackTrace();
        return trace.length == 0 ? "" : " at " + trace[0];
    }

    /** A fake host with a canary directory beside it, and the hook wired to both. */
    static final class Sandbox {
        final Path dir;
        final FakeHost tree;
        final FakeHostCommands commands;
        final StateDirectory state;
        private final TreeSnapshot outsideBefore;

        Sandbox(Path dir, Consumer<FakeHost> setup) {
            this.dir = dir;
            this.tree = FakeHost.vfioDesktop(dir.resolve("host"));
            setup.accept(tree);
            this.commands = new FakeHostCommands(tree.root());
            this.state = new StateDirectory(dir.resolve("state"));
            try {
                Files.createDirectories(dir.resolve("outside/etc"));
                Files.writeString(dir.resolve("outside/etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
                Files.writeString(dir.resolve("outside/canary"), "untouched\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            this.outsideBefore = outside();
        }

        private TreeSnapshot outside() {
            return TreeSnapshot.of(dir, rel -> !rel.equals("host") && !rel.startsWith("host/") && !rel.equals("state")
                    && !rel.startsWith("state/") && !rel.equals("log") && !rel.startsWith("log/"));
        }

        /**
         * Runs one hook event as libvirt would and judges it; returns the exit status, or -1
         * when the case crashed or hung.
         */
        int hook(Tally tally, String what, List<String> args, byte[] stdin) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int[] status = {-1};
            HookEngine engine = new HookEngine(tree.host(), commands, state, FeatureCatalog.builtInOnly().all(), Duration.ofSeconds(5),
                    Clock.systemUTC());
            QemuHook hook = new QemuHook(engine, (name, domain) -> domain.hooksConfig(),
                    new HookLog(dir.resolve("log/hooks.log"), Clock.systemUTC()));
            boolean returned = call(tally, what, () -> status[0] = hook.run(args, new ByteArrayInputStream(stdin),
                    new PrintStream(err, true, StandardCharsets.UTF_8)));
            if (returned) {
                // The hook always returns a status; whether it worked or refused is in the status.
                tally.worked.decrementAndGet();
                (status[0] == 0 ? tally.worked : tally.refused).incrementAndGet();
            }
            String stderr = err.toString(StandardCharsets.UTF_8);
            if (stderr.lines().anyMatch(l -> STACK_TRACE.matcher(l).find())) {
                tally.crashes.incrementAndGet();
                tally.problems.add(what + ": a stack trace on stderr: " + stderr);
            }
            if (status[0] > 0 && stderr.isBlank()) {
                tally.problems.add(what + ": exit " + status[0] + " without a message");
            }
            checkContained(tally, what);
            return status[0];
        }

        /** Nothing outside the host and state roots changed; only our tools ran. */
        void checkContained(Tally tally, String what) {
            List<String> diff = outside().diff(outsideBefore);
            if (!diff.isEmpty()) {
                tally.escapes.incrementAndGet();
                tally.problems.add(what + ": wrote outside the roots: " + diff);
            }
            if (!commands.unexpected().isEmpty()) {
                tally.escapes.incrementAndGet();
                tally.problems.add(what + ": ran " + commands.unexpected());
            }
            for (String name : Lifecycle.journals(state.path())) {
                if (!name.matches("vm-[A-Za-z0-9_-]{0,48}-[0-9a-f]{32}\\.journal")) {
                    tally.escapes.incrementAndGet();
                    tally.problems.add(what + ": unexpected state file name '" + name + "'");
                }
            }
        }
    }

    /** Escapes text for an XML element or attribute. */
    static String xmlText(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;").replace("\"", "&quot;");
    }
}
