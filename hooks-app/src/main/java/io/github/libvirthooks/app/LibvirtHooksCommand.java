package io.github.libvirthooks.app;

import io.quarkus.picocli.runtime.annotations.TopCommand;
import picocli.CommandLine.Command;

/** The {@code libvirt-hooks} command: subcommands only. */
@TopCommand
@Command(name = "libvirt-hooks",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Tunes the Linux host for libvirt VMs (hugepages, CPU isolation, sleep handling) and undoes every change.",
        subcommands = {HookCommand.class, StatusCommand.class, RestoreCommand.class, PlanCommand.class, DoctorCommand.class, DemoCommand.class,
                picocli.AutoComplete.GenerateCompletion.class, GenerateManPageCommand.class,
                io.github.libvirthooks.app.install.InstallCommand.class,
                io.github.libvirthooks.app.install.UninstallCommand.class,
                io.github.libvirthooks.app.hostpower.HostSleepCommand.class,
                io.github.libvirthooks.app.hostpower.HostShutdownCommand.class,
                io.github.libvirthooks.app.importing.ImportCommand.class})
public class LibvirtHooksCommand {
}
