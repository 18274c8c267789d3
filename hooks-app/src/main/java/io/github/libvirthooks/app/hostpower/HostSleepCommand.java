package io.github.libvirthooks.app.hostpower;

import io.github.libvirthooks.app.ConfigOption;
import io.github.libvirthooks.features.hook.ExitCodes;
import io.github.libvirthooks.features.hook.HookSetup;
import io.github.libvirthooks.features.hostpower.HostPowerResult;
import io.github.libvirthooks.features.hostpower.HostSleep;
import io.github.libvirthooks.features.hostpower.Virsh;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.sysfs.hugetlb.Sleeper;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code libvirt-hooks host-sleep pre|post}: what systemd runs around host sleep
 * ({@code libvirt-hooks-sleep.service}: {@code pre} as it starts, before {@code sleep.target};
 * {@code post} as it stops, after resume).
 */
@Command(name = "host-sleep", mixinStandardHelpOptions = true,
        description = {"Puts dosleep and dohibernate VMs to sleep before the host sleeps (pre) and wakes them after (post).",
                "Run by libvirt-hooks-sleep.service; safe to run by hand. Every wait is bounded: the host sleeps anyway.",
                "Exit 0 when every VM was handled as configured, 1 when something was not (see the lines marked warn)."})
public class HostSleepCommand implements Callable<Integer> {
    /** Which side of the host's sleep. */
    public enum Phase { pre, post }

    @Mixin
    ConfigOption config;

    @Parameters(index = "0", paramLabel = "pre|post", description = "pre: before the host sleeps; post: after it resumes.")
    Phase phase;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "The most this run may take (default: 180s for pre, 120s for post).")
    Duration timeout;

    @Mixin
    LibvirtUriOption libvirt;

    @Override
    public Integer call() {
        HookSetup setup = config.setup();
        HostSleep sleep = new HostSleep(new Virsh(CommandRunner.system(), libvirt.uri), setup.stateDir(), setup.enabledFeatures(),
                Clock.systemUTC(), Sleeper.SYSTEM);
        HostPowerResult result = phase == Phase.pre
                ? sleep.pre(timeout == null ? HostSleep.DEFAULT_PRE_BUDGET : timeout, System.out::println)
                : sleep.post(timeout == null ? HostSleep.DEFAULT_POST_BUDGET : timeout, System.out::println);
        return result.clean() ? ExitCodes.OK : ExitCodes.FAILED;
    }
}
