package io.github.libvirthooks.features.hook;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.Feature;
import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a VM changed is undone at release whatever became of the configuration or the heap while it ran (issue 16). */
class ReleaseAlwaysUndoesTest {
    private static final String MARKER = "/sys/marker/value";
    private static final String XML = "<domain type='kvm'><name>vm</name><memory unit='MiB'>64</memory></domain>";

    @TempDir
    Path tmp;
    Path host;
    Path state;
    Path config;
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void aVmThatChangedTheHost() throws IOException {
        host = Files.createDirectories(tmp.resolve("host"));
        Files.createDirectories(host.resolve("sys/marker"));
        Files.writeString(host.resolve("sys/marker/value"), "host\n");
        state = tmp.resolve("state");
        config = tmp.resolve("application.properties");
        new HookEngine(HostRoot.at(host), CommandRunner.system(), new StateDirectory(state), List.of(new Marker()),
                Duration.ofSeconds(5), Clock.systemUTC())
                .run(HookInvocation.parse(List.of("qemu", "vm", "prepare", "begin", "-")),
                        new DomainXmlParser().parse(XML.getBytes(StandardCharsets.UTF_8)), Map.of("marker", Map.of()), line -> { });
        assertThat(marker()).isEqualTo("vm");
    }

    @Test
    void aConfigurationBrokenWhileTheVmRanStillLetsReleaseUndoAndSaysSoAfter() throws IOException {
        Files.writeString(config, "libvirt-hooks.host-root=" + host + "\nlibvirt-hooks.state-dir=" + state
                + "\nlibvirt-hooks.lock-timeout=30\n");

        int status = HookMain.run(List.of("qemu", "vm", "release", "end", "-"), xml(), new PrintStream(err, true), config, Map.of(),
                FeatureCatalog.builtInOnly());

        assertThat(status).isZero();
        assertThat(marker()).isEqualTo("host");
        assertThat(new StateDirectory(state).fileFor("vm")).doesNotExist();
        assertThat(err.toString()).contains("vm release: undone from the journal, but the configuration is broken:")
                .contains("lock-timeout=30").contains("fix it before the next start");
    }

    @Test
    void theStateDirectoryOfTheEnvironmentIsFoundThoughTheFileIsUnreadable() throws IOException {
        Files.write(config, new byte[] {(byte) 0xff, (byte) 0xfe, 'x'});

        int status = HookMain.run(List.of("qemu", "vm", "release", "end", "-"), xml(), new PrintStream(err, true), config,
                Map.of("LIBVIRT_HOOKS_HOST_ROOT", host.toString(), "LIBVIRT_HOOKS_STATE_DIR", state.toString()),
                FeatureCatalog.builtInOnly());

        assertThat(status).isZero();
        assertThat(marker()).isEqualTo("host");
        assertThat(err.toString()).contains("not UTF-8");
    }

    @Test
    void aBrokenConfigurationStillRefusesAStartAndChangesNothing() throws IOException {
        Files.writeString(config, "libvirt-hooks.host-root=" + host + "\nlibvirt-hooks.state-dir=" + state
                + "\nlibvirt-hooks.lock-timeout=30\n");

        int status = HookMain.run(List.of("qemu", "vm", "prepare", "begin", "-"), xml(), new PrintStream(err, true), config, Map.of(),
                FeatureCatalog.builtInOnly());

        assertThat(status).isEqualTo(ExitCodes.FAILED);
        assertThat(marker()).as("the earlier start's change is the release's to undo").isEqualTo("vm");
    }

    @Test
    void runningOutOfMemoryAtReleaseStillUndoesTheJournal() throws IOException {
        QemuHook hook = new QemuHook(engine(), (name, domain) -> Map.of(), new HookLog(state.resolve("hooks.log"), Clock.systemUTC()));
        InputStream exhausted = new InputStream() {
            @Override
            public int read() {
                throw new OutOfMemoryError("Java heap space");
            }
        };

        int status = hook.run(List.of("qemu", "vm", "release", "end", "-"), exhausted, new PrintStream(err, true));

        assertThat(status).isZero();
        assertThat(marker()).isEqualTo("host");
        assertThat(err.toString()).contains("vm release end: out of memory; undoing the journal by VM name");
    }

    @Test
    void runningOutOfMemoryInTheMiddleOfPrepareRollsBackAndAborts() throws IOException {
        Files.writeString(host.resolve("sys/marker/value"), "host\n");
        new StateDirectory(state).fileFor("vm").toFile().delete();
        Feature exhausting = new Marker() {
            @Override
            public void apply(FeatureContext context) {
                super.apply(context);
                throw new OutOfMemoryError("Java heap space");
            }
        };
        HookEngine engine = new HookEngine(HostRoot.at(host), CommandRunner.system(), new StateDirectory(state), List.of(exhausting),
                Duration.ofSeconds(5), Clock.systemUTC());
        QemuHook hook = new QemuHook(engine, (name, domain) -> Map.of("marker", Map.of()),
                new HookLog(state.resolve("hooks.log"), Clock.systemUTC()));

        int status = hook.run(List.of("qemu", "vm", "prepare", "begin", "-"), xml(), new PrintStream(err, true));

        assertThat(status).isEqualTo(ExitCodes.FAILED);
        assertThat(marker()).isEqualTo("host");
        assertThat(new StateDirectory(state).fileFor("vm")).doesNotExist();
    }

    private HookEngine engine() {
        return new HookEngine(HostRoot.at(host), CommandRunner.system(), new StateDirectory(state), List.of(new Marker()),
                Duration.ofSeconds(5), Clock.systemUTC());
    }

    private static InputStream xml() {
        return new ByteArrayInputStream(XML.getBytes(StandardCharsets.UTF_8));
    }

    private String marker() throws IOException {
        return Files.readString(host.resolve("sys/marker/value")).strip();
    }

    /** Writes one host file at prepare, journaled: release undoes it from the journal alone, without the feature. */
    static class Marker implements Feature {
        @Override
        public String name() {
            return "marker";
        }

        @Override
        public Set<HookOperation> actsOn() {
            return Set.of(HookOperation.PREPARE);
        }

        @Override
        public void apply(FeatureContext context) {
            context.host().write(MARKER, "vm");
        }
    }
}
