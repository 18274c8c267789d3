package io.github.libvirthooks.app.install;

import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.Callable;
import io.github.libvirthooks.app.docs.ManPage;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

/** {@code libvirt-hooks install}: puts the program, the libvirt hook launcher and a config skeleton in place. */
@Command(name = "install", mixinStandardHelpOptions = true,
        description = {"Installs libvirt-hooks from the unpacked distribution: the program into /usr/lib/libvirt-hooks,"
                + " the command into /usr/bin, the hook launcher into /etc/libvirt/hooks/qemu.d/ and a commented"
                + " configuration skeleton into /etc/libvirt-hooks/ (never over an existing one). Idempotent."})
public class InstallCommand implements Callable<Integer> {
    static final String SKELETON = "/io/github/libvirthooks/features/config/application.properties.skeleton";

    @Spec
    CommandSpec spec;

    @Option(names = "--root", defaultValue = "/", description = "Install below this root prefix (default: ${DEFAULT-VALUE}).")
    Path root;

    @Option(names = "--from", description = "The unpacked distribution to install from (default: the one this command runs from).")
    Path from;

    @Option(names = "--java", description = "The java the hook runs with (default: the one running this command).")
    Path java;

    @Option(names = {"--restart-daemon", "--restart-libvirtd"}, description = "Restart the daemon that runs the QEMU driver"
            + " (libvirtd, or virtqemud with the modular daemons) when it must be restarted to see the hook.")
    boolean restartLibvirtd;

    @Option(names = "--dispatcher", description = "For libvirt older than 6.5, which runs only /etc/libvirt/hooks/qemu: write"
            + " a qemu script there that runs every executable in qemu.d/ (only where no qemu file exists).")
    boolean dispatcher;

    @Override
    public Integer call() {
        Path dist = from != null ? from : runningDistribution();
        Path jvm = java != null ? java : Path.of(ProcessHandle.current().info().command().orElse("java"));
        Installer installer = new Installer(new InstallLayout(root), System.out::println, io.github.libvirthooks.sysfs.exec.CommandRunner.system());
        CommandLine top = spec.root().commandLine();
        String version = String.join(" ", top.getCommandSpec().version());
        Installer.GeneratedDocs docs = new Installer.GeneratedDocs(AutoComplete.bash("libvirt-hooks", top),
                ManPage.render(top, version, LocalDate.now(ZoneOffset.UTC).toString()));
        Installer.InstallResult result = installer.install(dist, jvm, Installer.resource(SKELETON), docs);
        boolean mustRestart = result.libvirtdMustRestart();
        if (dispatcher && installer.installDispatcher(Dispatcher.script())) {
            mustRestart = true;
            System.out.println("restart " + result.daemon() + " once so that it sees the dispatcher");
        }
        InstallLayout layout = new InstallLayout(root);
        if (mustRestart && restartLibvirtd && layout.systemdRunning() && layout.root().equals(Path.of("/"))) {
            String daemon = result.daemon();
            var restart = CommandRunner.system().run(List.of("systemctl", "try-restart", "--", daemon + ".service"),
                    Duration.ofSeconds(60));
            System.out.println(restart.succeeded() ? "restarted " + daemon
                    : "could not restart " + daemon + " (" + restart.stderr().strip() + "); restart it by hand");
        }
        return 0;
    }

    /** The distribution holding the running jar: {@code <dist>/app/quarkus-run.jar}. */
    static Path runningDistribution() {
        String classpath = System.getProperty("java.class.path", "");
        Path jar = Path.of(classpath.split(File.pathSeparator)[0]).toAbsolutePath();
        if (jar.getFileName() != null && jar.getFileName().toString().equals("quarkus-run.jar") && jar.getParent() != null
                && Files.isDirectory(jar.getParent().getParent().resolve("share"))) {
            return jar.getParent().getParent();
        }
        throw new InstallException("install: not running from a libvirt-hooks distribution; use installer.sh -i from the"
                + " unpacked distribution, or --from DIR");
    }
}
