package io.github.libvirthooks.features.reliability;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOutcome;
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
import java.util.List;
import java.util.stream.Stream;

/**
 * One VM's life on one fake host, event by event, each through a fresh engine (a hook run is
 * a fresh process): {@code prepare}, QEMU starting, {@code started}, QEMU ending,
 * {@code stopped}, {@code release}; and {@code restore} by hand.
 */
final class Lifecycle {
    final Scenario scenario;
    final FakeHost tree;
    final FakeHostCommands commands;
    final StateDirectory state;
    final Path logDir;
    final String xml;
    final Domain domain;
    /** How long each hook run waits for the host lock. */
    Duration lockTimeout = Duration.ofSeconds(5);

    Lifecycle(Scenario scenario, Path dir) {
        this.scenario = scenario;
        this.tree = scenario.host(dir.resolve("host"));
        this.commands = new FakeHostCommands(tree.root());
        this.state = new StateDirectory(dir.resolve("state"));
        this.logDir = dir.resolve("log");
        this.xml = scenario.xml();
        this.domain = new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }

    HookEngine engine(Steps steps) {
        return new HookEngine(steps.on(tree.host()), steps.on(commands), state, FeatureCatalog.builtInOnly().all(), lockTimeout, Clock.systemUTC());
    }

    HookOutcome run(Steps steps, String operation) {
        return engine(steps).run(event(Scenario.VM, operation), domain, domain.hooksConfig(), line -> { });
    }

    /** QEMU starts (when the scenario has one) and libvirt runs {@code started}. */
    HookOutcome started(Steps steps) {
        if (scenario.qemu()) {
            tree.spawnQemu(Scenario.VM, Scenario.QEMU_ID, Scenario.QEMU_PID, Scenario.VCPUS);
        }
        return run(steps, "started");
    }

    /** QEMU ends and libvirt runs {@code stopped}. */
    HookOutcome stopped(Steps steps) {
        scenario.whileRunning().accept(tree);
        if (scenario.qemu()) {
            tree.exitQemu(Scenario.VM, Scenario.QEMU_ID, Scenario.QEMU_PID, Scenario.VCPUS);
        }
        return run(steps, "stopped");
    }

    /** What libvirt runs, through the hook's own entry: the exit status and stderr. */
    HookResult hook(Steps steps, String operation) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        QemuHook hook = new QemuHook(engine(steps), (name, d) -> d.hooksConfig(), new HookLog(logDir.resolve("hooks.log"),
                Clock.systemUTC()));
        int status = hook.run(List.of("qemu", Scenario.VM, operation, subOperation(operation), "-"),
                new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new HookResult(status, err.toString(StandardCharsets.UTF_8));
    }

    HookOutcome restore(Steps steps) {
        return engine(steps).restore(Scenario.VM, line -> { });
    }

    /** The journals left in the state directory (the lock file is not state). */
    List<String> journals() {
        return journals(state.path());
    }

    static List<String> journals(Path stateDir) {
        if (!Files.isDirectory(stateDir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(stateDir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".journal") || n.endsWith(".tmp")).sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static HookInvocation event(String vm, String operation) {
        return HookInvocation.parse(List.of("qemu", vm, operation, subOperation(operation), "-"));
    }

    static String subOperation(String operation) {
        return switch (operation) {
            case "stopped", "release" -> "end";
            default -> "begin";
        };
    }

    /** A hook process's exit status and standard error. */
    record HookResult(int status, String stderr) {
    }
}
