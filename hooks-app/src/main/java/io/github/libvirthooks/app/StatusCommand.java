package io.github.libvirthooks.app;

import io.github.libvirthooks.features.hook.ExitCodes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.libvirthooks.app.status.StatusReport;
import io.github.libvirthooks.features.hook.HookSetup;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code libvirt-hooks status}: what is applied to the host now, and why. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows, per VM, what libvirt-hooks has applied to the host (from its journal), plus host facts.")
public class StatusCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--json", description = "Stable JSON output for scripts.")
    boolean json;

    // Looked up only for --json: picocli builds every subcommand at start-up, and an injected
    // mapper would set Jackson up (about a fifth of the command's start) for every command.
    @Inject
    Instance<ObjectMapper> mapper;

    @Override
    public Integer call() throws JsonProcessingException {
        StatusReport report = StatusReport.read(config.setup());
        if (json) {
            System.out.println(mapper.get().copy().disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                    .writerWithDefaultPrettyPrinter().writeValueAsString(report));
        } else {
            System.out.print(report.toText());
        }
        return ExitCodes.OK;
    }
}
