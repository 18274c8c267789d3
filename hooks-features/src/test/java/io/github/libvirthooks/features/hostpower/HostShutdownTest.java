package io.github.libvirthooks.features.hostpower;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.hostpower.FakeLibvirt.Dom;
import io.github.libvirthooks.testkit.FakeClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostShutdownTest {
    @TempDir
    Path state;
    FakeClock time;
    FakeLibvirt libvirt;
    HostShutdown shutdown;
    List<String> lines;

    @BeforeEach
    void host() {
        time = new FakeClock();
        libvirt = new FakeLibvirt(time);
        shutdown = new HostShutdown(new Virsh(libvirt, Virsh.SYSTEM_URI), libvirt, state, (name, domain) -> domain.hooksConfig(),
                time, time);
        lines = new ArrayList<>();
    }

    @Test
    void stoppingTheUnitByHandWhileTheHostRunsDoesNothing() {
        libvirt.domain(1, "win10").hooks("<beforeoff-dohibernate/>").agent().pm(null, "yes");
        libvirt.systemState = "running";

        HostPowerResult result = shutdown.run(HostShutdown.DEFAULT_BUDGET, false, lines::add);

        assertThat(result.handled()).isEmpty();
        assertThat(libvirt.ran).containsExactly(List.of("systemctl", "is-system-running"));
        assertThat(lines).singleElement().asString().contains("the host is not shutting down (systemctl is-system-running: running)");
    }

    @Test
    void atPowerOffOnlyTheBeforeoffVmsAreHibernated() {
        Dom win = libvirt.domain(1, "win10").hooks("<beforeoff-dohibernate/>").agent().pm(null, "yes");
        Dom sleeper = libvirt.domain(2, "sleeper").hooks("<dohibernate/>").agent().pm(null, "yes");
        libvirt.domain(3, "plain");
        libvirt.systemState = "stopping";

        HostPowerResult result = shutdown.run(HostShutdown.DEFAULT_BUDGET, false, lines::add);

        assertThat(result.clean()).isTrue();
        assertThat(result.handled()).containsExactly("win10");
        assertThat(libvirt.changes()).containsExactly("dompmsuspend win10 disk");
        assertThat(win.now()).isEqualTo(DomainState.SHUT_OFF);
        assertThat(sleeper.now()).isEqualTo(DomainState.RUNNING);
        assertThat(state.resolve(SleepRecord.FILE)).as("no sleep record at shutdown").doesNotExist();
    }

    @Test
    void withoutAnAgentTheDefaultFallbackIsAnAcpiShutdown() {
        Dom xp = libvirt.domain(1, "xp").hooks("<beforeoff-dohibernate/>");

        shutdown.run(HostShutdown.DEFAULT_BUDGET, true, lines::add);

        assertThat(libvirt.ran).doesNotContain(List.of("systemctl", "is-system-running"));
        assertThat(libvirt.changes()).containsExactly("shutdown xp");
        assertThat(xp.now()).isEqualTo(DomainState.SHUT_OFF);
    }

    @Test
    void theBudgetBoundsTheWholeRun() {
        for (int i = 1; i <= 3; i++) {
            Dom d = libvirt.domain(i, "vm" + i).hooks("<beforeoff-dohibernate timeout='5m' shutdown-timeout='5m'/>").agent().pm(null, "yes");
            d.s4Delay = null;
            d.acpiDelay = null;
        }

        HostPowerResult result = shutdown.run(Duration.ofSeconds(60), true, lines::add);

        assertThat(time.elapsed()).isLessThanOrEqualTo(Duration.ofSeconds(62));
        assertThat(result.warnings()).hasSize(3).allMatch(w -> w.endsWith("still running after the ACPI shutdown timed out"));
    }

    @Test
    void restartAfterResumeIsNotAnOptionAtShutdown() {
        libvirt.domain(1, "vm").hooks("<beforeoff-dohibernate restart-after-resume='true'/>");

        HostPowerResult result = shutdown.run(HostShutdown.DEFAULT_BUDGET, true, lines::add);

        assertThat(libvirt.changes()).isEmpty();
        assertThat(result.warnings()).singleElement().asString()
                .startsWith("vm: unknown option 'restart-after-resume' for beforeoff-dohibernate; it takes: fallback, shutdown-timeout, timeout");
    }
}
