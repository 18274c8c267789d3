package io.github.libvirthooks.features.reliability;

import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.hook.HookLog;
import io.github.libvirthooks.features.hook.QemuHook;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostWriteListener;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.testkit.FakeHost;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * A hook process that kills itself: the real {@link QemuHook} on a {@link FakeHost}, whose
 * host dies with {@code Runtime.halt(137)} right after its N-th write or command took effect,
 * as if SIGKILLed there: no {@code finally}, no rollback, no lock release but the kernel's.
 *
 * <p>Usage: {@code CrashingHookMain <host-root> <state-dir> <N> <domain.xml> qemu <vm> <op> <sub-op> -}.
 * Exits 137 when it crashed, else with the hook's own status.
 */
public final class CrashingHookMain {
    /** The status of a process killed by SIGKILL, as a shell reports it. */
    static final int KILLED = 137;

    private CrashingHookMain() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        Path stateDir = Path.of(args[1]);
        int crashAfter = Integer.parseInt(args[2]);
        Path xml = Path.of(args[3]);
        int[] steps = {0};
        FakeHost tree = FakeHost.attach(root);
        HostWriteListener killer = new HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) {
                steps[0]++;
            }

            @Override
            public void beforeTrigger(String path, String value) {
                steps[0]++;
            }

            @Override
            public void beforeCreate(String path) {
                steps[0]++;
            }

            @Override
            public void beforeRemove(String path) {
                steps[0]++;
            }

            @Override
            public void beforeOwnership(Change intended) {
                steps[0]++;
            }

            @Override
            public void afterWrite(Change done) {
                if (steps[0] == crashAfter) {
                    Runtime.getRuntime().halt(KILLED);
                }
            }

            @Override
            public void afterChange(String path) {
                if (steps[0] == crashAfter) {
                    Runtime.getRuntime().halt(KILLED);
                }
            }
        };
        CommandRunner fake = new FakeHostCommands(root);
        CommandRunner commands = (argv, timeout) -> {
            steps[0]++;
            CommandResult result = fake.run(argv, timeout);
            if (steps[0] == crashAfter) {
                Runtime.getRuntime().halt(KILLED);
            }
            return result;
        };
        HookEngine engine = new HookEngine(tree.host().withListener(killer), commands, new StateDirectory(stateDir),
                FeatureCatalog.builtInOnly().all(), Duration.ofSeconds(10), Clock.systemUTC());
        QemuHook hook = new QemuHook(engine, (name, domain) -> domain.hooksConfig(),
                new HookLog(stateDir.resolveSibling("log").resolve("hooks.log"), Clock.systemUTC()));
        int status;
        try (InputStream in = Files.newInputStream(xml)) {
            status = hook.run(List.of(args).subList(4, args.length), in, System.err);
        }
        System.exit(status);
    }
}
