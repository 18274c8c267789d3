package io.github.libvirthooks.features.hook;

import io.github.libvirthooks.features.config.ConfigException;
import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlException;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookFailure;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.engine.HookOutcome;
import io.github.libvirthooks.features.engine.HookRequest;
import io.github.libvirthooks.features.engine.InvalidInvocationException;
import io.github.libvirthooks.features.state.JournalException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * What libvirt runs: {@code qemu <vm> <operation> <sub-operation> [extra]} with the domain XML
 * on standard input. Exits 0, or {@link ExitCodes#FAILED} with one line on stderr when libvirt
 * must abort the operation; on the stop path it never fails, because libvirt only logs it.
 */
public final class QemuHook {

    private final HookEngine engine;
    private final BiFunction<String, Domain, Map<String, Map<String, String>>> enabledFeatures;
    private final HookLog log;

    /**
     * @param engine          the engine, built on the configured host root and state directory
     * @param enabledFeatures for a VM name and its domain, the features it enables with their options
     *                        (configuration merged with the domain's metadata); throws
     *                        {@link FeatureException} for bad configuration
     * @param log             where the changes made and undone are recorded for {@code status}
     */
    public QemuHook(HookEngine engine, BiFunction<String, Domain, Map<String, Map<String, String>>> enabledFeatures, HookLog log) {
        this.engine = engine;
        this.enabledFeatures = enabledFeatures;
        this.log = log;
    }

    /** Runs one hook event; returns the process exit status. */
    public int run(List<String> args, InputStream stdin, PrintStream err) {
        HookInvocation invocation;
        try {
            invocation = HookInvocation.parse(args);
        } catch (InvalidInvocationException e) {
            err.println("libvirt-hooks: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        try {
            return run(invocation, stdin, err);
        } catch (OutOfMemoryError | StackOverflowError e) {
            // A 4 MB domain XML under the hook's small heap, say. The engine's rollback catches only the failures it
            // expects: undo here what the journal holds where the VM does not run (prepare: this start; release: all).
            String what = "libvirt-hooks: " + invocation.vmName() + " " + invocation.event() + ": out of "
                    + (e instanceof OutOfMemoryError ? "memory" : "stack");
            HookOperation op = invocation.operation();
            if (op == HookOperation.RELEASE || op == HookOperation.PREPARE) {
                restoreByName(invocation, err, what + "; undoing the journal by VM name");
                return op == HookOperation.PREPARE ? ExitCodes.FAILED : ExitCodes.OK;
            }
            return fail(invocation, err, what + "; the VM runs, its journal is kept: run 'libvirt-hooks restore --vm "
                    + invocation.vmName() + "' after it stops if its release cannot undo it");
        }
    }

    private int run(HookInvocation invocation, InputStream stdin, PrintStream err) {
        String prefix = "libvirt-hooks: " + invocation.vmName() + " " + invocation.event() + ": ";
        Domain domain;
        byte[] xml;
        try {
            xml = stdin.readNBytes(DomainXmlParser.MAX_XML_BYTES + 1);
            domain = new DomainXmlParser().parse(new ByteArrayInputStream(xml));
        } catch (IOException e) {
            return fail(invocation, err, prefix + "cannot read the domain XML on standard input: " + e.getMessage());
        } catch (DomainXmlException e) {
            if (invocation.operation() == HookOperation.RELEASE) {
                // Whatever the XML says, what this VM changed is in its journal.
                return restoreByName(invocation, err, prefix + e.getMessage() + "; undoing the journal by VM name");
            }
            return fail(invocation, err, prefix + e.getMessage());
        }
        // libvirt strips blanks around <name>; argv is compared the same way.
        if (!domain.name().strip().equals(invocation.vmName().strip())) {
            return fail(invocation, err, prefix + "the domain XML on stdin is for '" + domain.name() + "', not '"
                    + invocation.vmName() + "'");
        }
        try {
            // At release nothing new is applied: release undoes the journal whatever the configuration says now.
            // At stopped only features acting there (the user's scripts) run.
            Map<String, Map<String, String>> enabled = invocation.operation() == HookOperation.RELEASE ? Map.of()
                    : enabledFeatures.apply(invocation.vmName(), domain);
            // The XML kept as libvirt wrote it: the user's scripts get it on their standard input.
            HookOutcome outcome = engine.run(new HookRequest(invocation, xml, domain), enabled, log.linesOf(invocation));
            for (String warning : outcome.warnings()) {
                err.println(prefix + "warning: " + warning + "; run 'libvirt-hooks restore --vm " + invocation.vmName() + "' later");
                log.record(invocation, "warning " + warning);
            }
            return 0;
        } catch (HookFailure e) {
            log.record(invocation, "failed  " + e.getMessage());
            return fail(invocation, err, prefix + e.getMessage());
        } catch (FeatureException | ConfigException | JournalException | IllegalArgumentException e) {
            if (invocation.operation() == HookOperation.RELEASE) {
                return restoreByName(invocation, err, prefix + e.getMessage() + "; undoing the journal by VM name");
            }
            return fail(invocation, err, prefix + e.getMessage());
        }
    }

    private int restoreByName(HookInvocation invocation, PrintStream err, String why) {
        err.println(why);
        try {
            HookOutcome outcome = engine.restore(invocation.vmName(), log.linesOf(invocation));
            for (String w : outcome.warnings()) {
                err.println("libvirt-hooks: " + invocation.vmName() + ": warning: " + w);
            }
        } catch (RuntimeException e) {
            err.println("libvirt-hooks: " + invocation.vmName() + ": cannot undo: " + e.getMessage()
                    + "; run 'libvirt-hooks restore --vm " + invocation.vmName() + "'");
        }
        return 0;
    }

    private static int fail(HookInvocation invocation, PrintStream err, String message) {
        err.println(message.replace('\n', ' '));
        return invocation.operation().abortsOnFailure() ? ExitCodes.FAILED : ExitCodes.OK;
    }
}
