package io.github.libvirthooks.app;

import io.github.libvirthooks.features.hook.ExitCodes;

import io.github.libvirthooks.app.docs.ManPage;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Prints the man page, generated from the same model as {@code --help}. */
@Command(name = "generate-man-page", hidden = true, description = "Prints the roff man page of libvirt-hooks.")
public class GenerateManPageCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        CommandLine top = spec.root().commandLine();
        String version = String.join(" ", top.getCommandSpec().version());
        System.out.print(ManPage.render(top, version.isEmpty() ? "libvirt-hooks" : version, "2026"));
        return ExitCodes.OK;
    }
}
