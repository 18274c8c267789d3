package io.github.libvirthooks.app.hostpower;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command lines systemd runs parse as the unit files write them; bad ones are usage errors. */
class HostPowerCommandsTest {
    @Test
    void hostSleepTakesPreOrPostAndATimeout() {
        HostSleepCommand command = new HostSleepCommand();
        new CommandLine(command).parseArgs("post", "--timeout", "90s");
        assertThat(command.phase).isEqualTo(HostSleepCommand.Phase.post);
        assertThat(command.timeout).isEqualTo(Duration.ofSeconds(90));
        assertThat(command.libvirt.uri).isEqualTo("qemu:///system");
    }

    @Test
    void anythingButPreOrPostIsAUsageError() {
        StringWriter err = new StringWriter();
        int status = new CommandLine(new HostSleepCommand()).setErr(new PrintWriter(err)).execute("sideways");
        assertThat(status).isEqualTo(2);
        assertThat(err.toString()).contains("expected one of [pre, post]");
    }

    @Test
    void hostShutdownTakesForceAndMinutes() {
        HostShutdownCommand command = new HostShutdownCommand();
        new CommandLine(command).parseArgs("--force", "--timeout", "4m");
        assertThat(command.force).isTrue();
        assertThat(command.timeout).isEqualTo(Duration.ofMinutes(4));
    }

    @Test
    void aTimeoutMustBeAPositiveDuration() {
        StringWriter err = new StringWriter();
        int status = new CommandLine(new HostShutdownCommand()).setErr(new PrintWriter(err)).execute("--timeout", "0s");
        assertThat(status).isEqualTo(2);
        assertThat(err.toString()).contains("'0s' is not a duration: use e.g. 90s, 3m, 500ms or PT90S");
    }

    /** The units run the plain entry (HostPowerMain); by hand, help included, the full command runs: both take the same options. */
    @Test
    void thePlainEntryTakesExactlyTheOptionsOfTheFullCommands() {
        for (Object command : java.util.List.of(new HostSleepCommand(), new HostShutdownCommand())) {
            CommandLine.Model.CommandSpec spec = new CommandLine(command).getCommandSpec();
            java.util.Set<String> names = new java.util.TreeSet<>();
            spec.options().stream().filter(o -> !o.usageHelp() && !o.versionHelp()).forEach(o -> names.add(o.longestName()));
            assertThat(names).as(spec.name()).isEqualTo(new java.util.TreeSet<>(
                    io.github.libvirthooks.features.hostpower.HostPowerMain.OPTIONS.get(spec.name())));
        }
    }
}
