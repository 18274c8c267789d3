package io.github.libvirthooks.features.hook;

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
 * instead of loading them. It never touches the real host. It goes the way {@link HookMain}
 * goes (the feature jars' folder, the process environment, the host's {@code /proc/meminfo}):
 * a class the training does not load is read from its jar at every event, and the first such
 * class of a jar opens and checks the whole jar, several ms of each event.
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
            layOutHugePages(host);
            Files.writeString(host.resolve("proc/meminfo"), MEMINFO, StandardCharsets.UTF_8);
            Path config = dir.resolve("application.properties");
            Files.writeString(config, "libvirt-hooks.host-root=" + host + "\nlibvirt-hooks.state-dir=" + dir.resolve("state") + "\n");
            // A features folder that does not exist: no jars, but the same classes as the hook's own start.
            HookSetup setup = HookSetup.load(config, environment(),
                    io.github.libvirthooks.features.engine.FeatureCatalog.withExtensionsFrom(dir.resolve("features")));
            PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
            int prepare = setup.qemuHook().run(List.of("qemu", "training", "prepare", "begin", "-"), stdin(), quiet);
            int release = setup.qemuHook().run(List.of("qemu", "training", "release", "end", "-"), stdin(), quiet);
            return prepare == 0 && release == 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The files a host with one NUMA node and an empty 2 MiB hugepage pool shows, laid out as
     * the test kit's simulated kernel lays them out (HookTrainingTest checks they agree). The
     * training needs only the files: the hook writes them through its own, plain host root.
     */
    static void layOutHugePages(Path host) throws IOException {
        String global = "sys/kernel/mm/hugepages/hugepages-2048kB/";
        String node = "sys/devices/system/node/node0/hugepages/hugepages-2048kB/";
        Map<String, String> files = new java.util.LinkedHashMap<>();
        files.put("proc/sys/vm/drop_caches", "0\n");
        files.put("proc/sys/vm/compact_memory", "");
        files.put("sys/devices/system/node/online", "0\n");
        for (String counter : List.of("nr_hugepages", "nr_hugepages_mempolicy", "free_hugepages", "resv_hugepages",
                "surplus_hugepages", "nr_overcommit_hugepages")) {
            files.put(global + counter, "0\n");
        }
        for (String counter : List.of("nr_hugepages", "free_hugepages", "surplus_hugepages")) {
            files.put(node + counter, "0\n");
        }
        for (Map.Entry<String, String> file : files.entrySet()) {
            Path path = host.resolve(file.getKey());
            Files.createDirectories(path.getParent());
            Files.writeString(path, file.getValue(), StandardCharsets.UTF_8);
        }
    }

    /** A host's {@code /proc/meminfo} with 2 MiB default hugepages, as the real host's is read at every prepare. */
    private static final String MEMINFO = "MemTotal:        8000000 kB\nMemFree:         4000000 kB\nMemAvailable:    6000000 kB\n"
            + "HugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\nHugePages_Surp:        0\n"
            + "Hugepagesize:       2048 kB\n";

    /**
     * The process environment as the hook reads it, without the variables that configure it: the training must not
     * take its configuration from whoever runs {@code install}.
     */
    private static Map<String, String> environment() {
        Map<String, String> environment = new java.util.HashMap<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            if (!io.github.libvirthooks.features.config.ConfigLoader.readsVariable(e.getKey())) {
                environment.put(e.getKey(), e.getValue());
            }
        }
        return environment;
    }

    private static ByteArrayInputStream stdin() {
        return new ByteArrayInputStream(DOMAIN.getBytes(StandardCharsets.UTF_8));
    }
}
