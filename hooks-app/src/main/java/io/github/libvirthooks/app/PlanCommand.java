package io.github.libvirthooks.app;

import io.github.libvirthooks.features.hook.ExitCodes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.libvirthooks.app.plan.DryRun;
import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.engine.InvalidInvocationException;
import io.github.libvirthooks.features.hook.HookSetup;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code libvirt-hooks plan}: what a hook would do, without doing it. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Dry run: shows a VM's merged configuration and what each enabled feature would do at an event.",
                "The VM is a domain XML file, or a name whose XML is read with 'virsh dumpxml' (outside the hook, that is safe)."})
public class PlanCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Parameters(index = "0", paramLabel = "VM|DOMAIN.XML", description = "A VM name or a domain XML file.")
    String vm;

    @Option(names = "--event", defaultValue = "prepare", description = "The hook operation to plan for (default: ${DEFAULT-VALUE}).")
    String event;

    @Option(names = "--json", description = "Stable JSON output.")
    boolean json;

    @Option(names = "--check", description = "Exit 1 when the hook would refuse the event (the refusal is shown either way).")
    boolean check;

    // Looked up only for --json: picocli builds every subcommand at start-up, and an injected
    // mapper would set Jackson up (about a fifth of the command's start) for every command.
    @Inject
    Instance<ObjectMapper> mapper;

    @Override
    public Integer call() throws IOException {
        HookOperation operation;
        try {
            operation = HookOperation.parse(event);
        } catch (InvalidInvocationException e) {
            System.err.println("libvirt-hooks plan: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        Domain domain = new DomainXmlParser().parse(xml());
        DryRun.Plan plan = DryRun.plan(config.setup(), domain, operation);
        // Whatever the hook would refuse, plan shows refused, with the hook's message; exit 1 only with --check, because
        // plan itself did its job (as 'terraform plan -detailed-exitcode' tells changes apart from errors).
        int exit = check && plan.refuses() ? ExitCodes.FAILED : ExitCodes.OK;
        if (json) {
            System.out.println(mapper.get().writerWithDefaultPrettyPrinter().writeValueAsString(plan));
            return exit;
        }
        System.out.println("VM " + plan.vm() + " at " + plan.event() + ":");
        if (plan.features().isEmpty()) {
            System.out.println("  no feature enabled (add <hooks xmlns=\"urn:libvirt-hooks:1\"> to its <metadata>, or configure it)");
        }
        for (Map.Entry<String, Map<String, String>> f : plan.features().entrySet()) {
            System.out.println("  enabled " + f.getKey() + (f.getValue().isEmpty() ? "" : " " + f.getValue()));
        }
        if (!plan.features().isEmpty() && plan.actions().isEmpty()) {
            System.out.println("  no enabled feature acts at " + plan.event());
        }
        for (Map.Entry<String, List<String>> a : plan.actions().entrySet()) {
            a.getValue().forEach(line -> System.out.println("  " + a.getKey() + ": " + line));
        }
        if (plan.refused().containsKey(DryRun.CONFIGURATION)) {
            System.out.println("  refuses: " + plan.refused().get(DryRun.CONFIGURATION));
        }
        plan.damagedJournals().forEach(d -> System.out.println("  " + d.toText()));
        return exit;
    }

    private byte[] xml() throws IOException {
        Path file = Path.of(vm);
        if (Files.isRegularFile(file)) {
            return Files.readAllBytes(file);
        }
        CommandResult dump = CommandRunner.system().run(List.of("virsh", "--connect", "qemu:///system", "dumpxml", "--", vm),
                Duration.ofSeconds(30)).orThrow();
        return dump.stdout().getBytes(StandardCharsets.UTF_8);
    }
}
