package io.github.libvirthooks.features.reliability;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.testkit.FakeHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One VM's hook runs as a process of its own, next to the other VMs' processes on one
 * {@link FakeHost}: {@code <cycles>} times prepare then release, with random pauses, each
 * event through a fresh engine (a fresh hook process in real life) with {@link ClaimProbe}s.
 *
 * <p>Usage: {@code ConcurrentHookMain <host-root> <state-dir> <domain.xml> <seed> <cycles>}.
 * Prints {@code PROBLEM ...} lines and exits 3 when a probe saw something wrong, 2 when a run failed.
 */
public final class ConcurrentHookMain {
    private ConcurrentHookMain() {
    }

    public static void main(String[] args) throws Exception {
        FakeHost tree = FakeHost.attach(Path.of(args[0]));
        StateDirectory state = new StateDirectory(Path.of(args[1]));
        Domain domain = new DomainXmlParser().parse(Files.readAllBytes(Path.of(args[2])));
        Random random = new Random(Long.parseLong(args[3]));
        int cycles = Integer.parseInt(args[4]);
        List<String> problems = new ArrayList<>();
        FakeHostCommands commands = new FakeHostCommands(tree.root());
        int status = 0;
        try {
            for (int cycle = 0; cycle < cycles; cycle++) {
                for (String operation : new String[] {"prepare", "release"}) {
                    Thread.sleep(random.nextInt(20));
                    HookEngine engine = new HookEngine(tree.host(), commands, state,
                            ClaimProbe.around(FeatureCatalog.builtInOnly().all(), tree, state, problems::add), Duration.ofSeconds(60),
                            Clock.systemUTC());
                    engine.run(Lifecycle.event(domain.name(), operation), domain, ClaimProbe.enabled(domain.hooksConfig()),
                            line -> { });
                }
            }
        } catch (RuntimeException e) {
            problems.add(domain.name() + ": " + e);
            status = 2;
        }
        problems.forEach(p -> System.out.println("PROBLEM " + p));
        System.out.println("CHECKS " + ClaimProbe.CHECKS.get());
        System.exit(problems.isEmpty() ? 0 : status == 0 ? 3 : status);
    }
}
