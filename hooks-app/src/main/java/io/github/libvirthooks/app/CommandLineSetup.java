package io.github.libvirthooks.app;

import io.github.libvirthooks.features.hook.ExitCodes;

import io.quarkus.picocli.runtime.PicocliCommandLineFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import picocli.CommandLine;

/**
 * Configures picocli for the whole command: a failure is one line on stderr with a documented
 * exit code, never a stack trace (set {@code LIBVIRT_HOOKS_DEBUG=1} to see one).
 */
@ApplicationScoped
public class CommandLineSetup {
    @Produces
    CommandLine commandLine(PicocliCommandLineFactory factory) {
        CommandLine line = factory.create();
        line.setExecutionExceptionHandler((e, cmd, parseResult) -> {
            if (System.getenv("LIBVIRT_HOOKS_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            cmd.getErr().println(message.startsWith("libvirt-hooks") ? message : "libvirt-hooks " + cmd.getCommandName() + ": " + message);
            return ExitCodes.FAILED;
        });
        line.setExitCodeExceptionMapper(e -> ExitCodes.FAILED);
        return line;
    }
}
