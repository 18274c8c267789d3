package io.github.libvirthooks.app.hostpower;

import io.github.libvirthooks.app.ConfigOption;
import io.github.libvirthooks.features.hook.ExitCodes;
import io.github.libvirthooks.features.hook.HookSetup;
import io.github.libvirthooks.features.hostpower.HostPowerResult;
import io.github.libvirthooks.features.hostpower.HostShutdown;
import io.github.libvirthooks.features.hostpower.Virsh;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.sysfs.hugetlb.Sleeper;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code libvirt-hooks host-shutdown}: the stop action of {@code libvirt-hooks-shutdown.service},
 * which systemd stops before {@code libvirt-guests} and libvirtd at power-off and reboot.
 */
@Command(name = "host-shutdown", mixinStandardHelpOptions = true,
        description = {"Hibernates beforeoff-dohibernate VMs before the host powers off or reboots, with each VM's fallback.",
                "Run by libvirt-hooks-shutdown.service as it stops; does nothing unless systemd says the system is stopping",
                "(--force: now, by hand). Exit 0 when every VM was handled as configured, 1 when something was not."})
public class HostShutdownCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--force", description = "Act even though the host is not shutting down.")
    boolean force;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "The most this run may take (default: 240s; the unit's TimeoutStopSec is larger).")
    Duration timeout;

    @Mixin
    LibvirtUriOption libvirt;

    @Override
    public Integer call() {
        HookSetup setup = config.setup();
        CommandRunner commands = CommandRunner.system();
        HostShutdown shutdown = new HostShutdown(new Virsh(commands, libvirt.uri), commands, setup.stateDir(), setup.enabledFeatures(),
                Clock.systemUTC(), Sleeper.SYSTEM);
        HostPowerResult result = shutdown.run(timeout == null ? HostShutdown.DEFAULT_BUDGET : timeout, force, System.out::println);
        return result.clean() ? ExitCodes.OK : ExitCodes.FAILED;
    }
}
