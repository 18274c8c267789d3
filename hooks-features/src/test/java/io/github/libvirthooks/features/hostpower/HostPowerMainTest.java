package io.github.libvirthooks.features.hostpower;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.hook.HookSetup;
import io.github.libvirthooks.testkit.FakeClock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plain entry the sleep and shutdown units run: the full command's arguments, the same work. */
class HostPowerMainTest {
    @TempDir
    Path state;
    FakeLibvirt libvirt;
    List<Path> configsAsked;
    ByteArrayOutputStream out;
    ByteArrayOutputStream err;

    @BeforeEach
    void host() {
        libvirt = new FakeLibvirt(new FakeClock());
        configsAsked = new ArrayList<>();
        out = new ByteArrayOutputStream();
        err = new ByteArrayOutputStream();
    }

    int run(String... args) {
        return HostPowerMain.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(), file -> {
                    configsAsked.add(file);
                    return new HookSetup(Path.of("/"), state, Duration.ofSeconds(30), (name, domain) -> domain.hooksConfig(),
                            FeatureCatalog.builtInOnly());
                }, libvirt);
    }

    @Test
    void hostSleepPrePausesAnAgentlessDosleepVmAndPostResumesIt() {
        FakeLibvirt.Dom xp = libvirt.domain(1, "xp").hooks("<dosleep/>");

        assertThat(run("host-sleep", "pre", "--timeout", "30s")).isZero();
        assertThat(xp.now()).isEqualTo(DomainState.PAUSED);
        assertThat(run("host-sleep", "post", "--timeout=30s", "--config", "/etc/other.properties")).isZero();

        assertThat(xp.now()).isEqualTo(DomainState.RUNNING);
        assertThat(libvirt.changes()).containsExactly("suspend xp", "resume xp");
        assertThat(configsAsked).containsExactly(Path.of("/etc/libvirt-hooks/application.properties"), Path.of("/etc/other.properties"));
    }

    @Test
    void hostShutdownDoesNothingUnlessTheSystemIsStoppingOrForced() {
        FakeLibvirt.Dom win = libvirt.domain(1, "win10").hooks("<beforeoff-dohibernate fallback='managedsave'/>");

        assertThat(run("host-shutdown")).isZero();
        assertThat(new String(out.toByteArray(), StandardCharsets.UTF_8)).contains("the host is not shutting down");
        assertThat(libvirt.changes()).isEmpty();

        assertThat(run("host-shutdown", "--force", "--timeout", "2m")).isZero();
        assertThat(libvirt.changes()).containsExactly("managedsave win10");
        assertThat(win.now()).isEqualTo(DomainState.SHUT_OFF);
    }

    @Test
    void argumentsTheFullCommandRefusesAreUsageErrorsAndNothingRuns() {
        libvirt.domain(1, "xp").hooks("<dosleep/>");
        for (List<String> bad : List.<List<String>>of(List.of("host-sleep"), List.of("host-sleep", "sideways"), List.of("host-sleep", "pre", "post"),
                List.of("host-sleep", "pre", "--force"), List.of("host-sleep", "pre", "--timeout"), List.of("host-sleep", "pre", "--timeout",
                "0s"), List.of("host-sleep", "pre", "--timeout", "soon"), List.of("host-shutdown", "now"),
                List.of("host-shutdown", "--force=yes"), List.of("host-shutdown", "--uri", "a", "--uri", "b"), List.of("reboot"), List.of())) {
            err.reset();
            assertThat(run(bad.toArray(String[]::new))).as("%s", bad).isEqualTo(2);
            assertThat(new String(err.toByteArray(), StandardCharsets.UTF_8)).as("%s", bad).startsWith("libvirt-hooks: ").contains("Usage:");
        }
        assertThat(libvirt.ran).isEmpty();
        assertThat(configsAsked).isEmpty();
    }

    @Test
    void aConfigurationThatDoesNotLoadIsOneLineAndStatusOne() {
        int status = HostPowerMain.run(List.of("host-sleep", "pre"), new PrintStream(out), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of(), file -> {
                    throw new IllegalStateException("libvirt-hooks.lock-timeout: 'x' is not a duration");
                }, libvirt);
        assertThat(status).isEqualTo(1);
        assertThat(new String(err.toByteArray(), StandardCharsets.UTF_8).strip())
                .isEqualTo("libvirt-hooks: libvirt-hooks.lock-timeout: 'x' is not a duration");
        assertThat(libvirt.ran).isEmpty();
    }
}
