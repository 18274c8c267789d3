package io.github.libvirthooks.app.demo;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The demo: the embedded sample VM goes through libvirt's hook events on a sandboxed host
 * tree, with the real engine and features, printing every change made and undone, and
 * checking at the end that the host tree is byte for byte as it began.
 */
public final class DemoRun {
    private static final String SAMPLE = "/demo/win10-demo.xml";

    private final Path workDir;
    private final PrintStream out;

    public DemoRun(Path workDir, PrintStream out) {
        this.workDir = workDir;
        this.out = out;
    }

    /** Runs the lifecycle; returns true when the host ended exactly as it began. */
    public boolean run() {
        byte[] xml = sample();
        Domain domain = new DomainXmlParser().parse(xml);
        long pages = (domain.memoryBytes() + (2L << 20) - 1) / (2L << 20);
        // A host where only part of the pages can be had at once: the rest needs compaction.
        SandboxHost sandbox = SandboxHost.create(workDir.resolve("host"), pages / 2, pages);
        Map<String, String> before = sandbox.snapshot();
        HostRoot host = sandbox.host();
        StateDirectory state = new StateDirectory(workDir.resolve("run/libvirt-hooks"));
        HookEngine engine = new HookEngine(host, CommandRunner.system(), state, FeatureCatalog.builtInOnly().all(), Duration.ofSeconds(5),
                Clock.systemUTC());

        out.println("libvirt-hooks demo: VM '" + domain.name() + "', " + (domain.memoryBytes() >> 20)
                + " MiB hugepage-backed, features " + domain.hooksConfig().keySet());
        out.println("sandboxed host tree: " + sandbox.root());
        out.println("state directory:     " + state.path());
        for (String event : List.of("prepare begin", "start begin", "started begin", "stopped end", "release end")) {
            String[] words = event.split(" ");
            HookInvocation invocation = HookInvocation.parse(List.of("qemu", domain.name(), words[0], words[1], "-"));
            out.println();
            out.println("== hook qemu " + domain.name() + " " + event + " -");
            var outcome = engine.run(invocation, domain, domain.hooksConfig(), line -> out.println("   " + line));
            if (outcome.report().isEmpty()) {
                out.println("   (no feature acts at " + words[0] + ")");
            }
            outcome.warnings().forEach(w -> out.println("   warning: " + w));
            if (words[0].equals("start")) {
                sandbox.qemuStarts(domain.name(), pages);
                out.println("   [sandbox] QEMU maps " + pages + " hugepages");
            } else if (words[0].equals("stopped")) {
                sandbox.qemuStops(domain.name());
                out.println("   [sandbox] QEMU exits, its " + pages + " hugepages are free again");
            }
        }
        Map<String, String> after = sandbox.snapshot();
        boolean same = before.equals(after);
        out.println();
        out.println(same ? "host tree is exactly as before: " + before.size() + " files compared"
                : "HOST TREE DIFFERS: " + diff(before, after));
        return same;
    }

    private static String diff(Map<String, String> before, Map<String, String> after) {
        StringBuilder d = new StringBuilder();
        for (String path : new java.util.TreeSet<>(java.util.stream.Stream.concat(before.keySet().stream(), after.keySet().stream()).toList())) {
            if (!java.util.Objects.equals(before.get(path), after.get(path))) {
                d.append(path).append(": ").append(before.get(path)).append(" -> ").append(after.get(path)).append("; ");
            }
        }
        return d.toString();
    }

    private static byte[] sample() {
        try (InputStream in = DemoRun.class.getResourceAsStream(SAMPLE)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
