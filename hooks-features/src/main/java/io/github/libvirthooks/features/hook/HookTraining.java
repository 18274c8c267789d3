package io.github.libvirthooks.features.hook;

import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;
import io.github.libvirthooks.sysfs.sandbox.SimulatedHugePages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A representative hook run on a sandboxed host, for building the class-data archive at
 * install time: the JVM records every class a real {@code prepare} and {@code release} load
 * (configuration, XML parsing, engine, journal, hugepages), and later hook runs map them
 * instead of loading them. It never touches the real host.
 */
public final class HookTraining {
    private static final String DOMAIN = "<domain type='kvm'><name>training</name><uuid>00000000-0000-0000-0000-000000000001</uuid>"
            + "<metadata><hooks xmlns='urn:libvirt-hooks:1'><hugepages timeout='0s'/></hooks></metadata>"
            + "<memory unit='MiB'>8</memory><memoryBacking><hugepages/></memoryBacking><vcpu>1</vcpu>"
            + "<cputune><vcpupin vcpu='0' cpuset='0'/></cputune></domain>";

    private HookTraining() {
    }

    /** Runs prepare and release of a sample VM below {@code dir}; returns true when both succeeded. */
    public static boolean run(Path dir) {
        try {
            Path host = Files.createDirectories(dir.resolve("host"));
            new SimulatedHugePages(host, 1, HugePageSize.TWO_MIB);
            Path config = dir.resolve("application.properties");
            Files.writeString(config, "libvirt-hooks.host-root=" + host + "\nlibvirt-hooks.state-dir=" + dir.resolve("state") + "\n");
            HookSetup setup = HookSetup.load(config, Map.of());
            PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
            int prepare = setup.qemuHook().run(List.of("qemu", "training", "prepare", "begin", "-"), stdin(), quiet);
            int release = setup.qemuHook().run(List.of("qemu", "training", "release", "end", "-"), stdin(), quiet);
            return prepare == 0 && release == 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ByteArrayInputStream stdin() {
        return new ByteArrayInputStream(DOMAIN.getBytes(StandardCharsets.UTF_8));
    }
}
