package io.github.libvirthooks.app.importing;

import io.github.libvirthooks.features.hook.ExitCodes;

import io.github.libvirthooks.app.ConfigOption;
import io.github.libvirthooks.features.hook.ExitCodes;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code libvirt-hooks import}: moves a VFIO-Tools hook tree into the script folders. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Copies a VFIO-Tools hook tree (qemu.d/<vm>/<operation>/<sub-operation>/*) into",
                "<config-dir>/hooks.d/, where the script feature runs it with a timeout, rollback and a log.",
                "Never overwrites a file; reports what it could not map. Exit 1 when something was not copied."})
public class ImportCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--from", paramLabel = "DIR", defaultValue = "/etc/libvirt/hooks/qemu.d",
            description = "The VFIO-Tools tree (default: ${DEFAULT-VALUE}).")
    Path from;

    @Option(names = "--dry-run", description = "Say what would be copied; write nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
        Path configDir = config.file.toAbsolutePath().getParent();
        VfioToolsImport.Report report;
        try {
            report = new VfioToolsImport(from, configDir).run(dryRun);
        } catch (VfioToolsImport.ImportException e) {
            System.err.println("libvirt-hooks " + e.getMessage());
            return ExitCodes.FAILED;
        }
        String verb = dryRun ? "would copy " : "copied ";
        report.copied().forEach(line -> System.out.println(verb + line));
        report.left().forEach(line -> System.out.println("left in place " + line));
        report.unmapped().forEach(line -> System.out.println("not copied " + line));
        report.warnings().forEach(line -> System.out.println("warning " + line));
        report.advice().forEach(line -> System.out.println("next: " + line));
        if (report.copied().isEmpty() && report.unmapped().isEmpty()) {
            System.out.println("nothing to import in " + from);
        }
        return report.unmapped().isEmpty() ? ExitCodes.OK : ExitCodes.FAILED;
    }
}
