package io.github.libvirthooks.app;

import io.github.libvirthooks.features.hook.ExitCodes;

import io.github.libvirthooks.app.doctor.Check;
import io.github.libvirthooks.app.doctor.Doctor;
import io.github.libvirthooks.app.install.InstallLayout;
import io.github.libvirthooks.features.hook.HookSetup;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code libvirt-hooks doctor}: is this host ready? */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Checks that this host is ready: libvirt version, hook installed and seen by the daemon that runs the"
                + " QEMU driver (libvirtd or virtqemud), cgroup version, hugepages and hugetlbfs, systemd, SELinux and AppArmor,"
                + " the IOMMU and each defined VM's PCI passthrough, tools. One line per check: OK, WARN or FAIL with a fix.",
                "Exit 0 when nothing failed, 3 when a check failed."})
public class DoctorCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--root", defaultValue = "/", description = "Where libvirt-hooks is installed (default: ${DEFAULT-VALUE}).")
    Path root;

    @Override
    public Integer call() {
        HookSetup setup = config.setup();
        List<Path> path = Arrays.stream(System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(File.pathSeparator))
                .filter(s -> !s.isEmpty()).map(Path::of).toList();
        List<Check> checks = new Doctor(setup.host(), new InstallLayout(root), CommandRunner.system(), path).run();
        checks.forEach(System.out::println);
        return checks.stream().anyMatch(c -> c.verdict() == Check.Verdict.FAIL) ? ExitCodes.NOT_READY : ExitCodes.OK;
    }
}
