package io.github.libvirthooks.app.install;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code libvirt-hooks uninstall}: removes exactly what install wrote. */
@Command(name = "uninstall", mixinStandardHelpOptions = true,
        description = {"Removes the files install wrote. Refuses while VMs still have host changes applied, unless --force;"
                + " keeps a configuration you edited."})
public class UninstallCommand implements Callable<Integer> {
    @Option(names = "--root", defaultValue = "/", description = "Uninstall below this root prefix (default: ${DEFAULT-VALUE}).")
    Path root;

    @Option(names = "--force", description = "Uninstall even though VMs still have host changes applied.")
    boolean force;

    @Option(names = "--keep-config", description = "Keep the configuration file even when it is the unedited skeleton"
            + " (a distribution package's config file: its package manager removes it on purge).")
    boolean keepConfig;

    @Override
    public Integer call() {
        new Installer(new InstallLayout(root), System.out::println, io.github.libvirthooks.sysfs.exec.CommandRunner.system()).uninstall(force,
                Installer.resource(InstallCommand.SKELETON), keepConfig);
        return 0;
    }
}
