package io.github.libvirthooks.app;

import io.github.libvirthooks.features.hook.ExitCodes;

import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookOutcome;
import io.github.libvirthooks.features.hook.HookSetup;
import io.github.libvirthooks.features.state.DamagedJournal;
import io.github.libvirthooks.features.state.VmJournal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code libvirt-hooks restore}: undoes everything the journal holds, after a crash or by hand. */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = {"Puts back every host value the journal records, for one VM or all, newest first.",
                "Steps that cannot be undone yet (pages still in use) stay in the journal; exit 1 then."})
public class RestoreCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--vm", paramLabel = "NAME", description = "Only this VM.")
    String vm;

    @Override
    public Integer call() {
        HookSetup loaded;
        String broken = null;
        try {
            loaded = config.setup();
        } catch (RuntimeException e) {
            // Undo does not need the configuration, only where the journals are: a typo made while a VM ran must not keep its changes.
            loaded = config.setupForUndo(e);
            broken = e.getMessage();
        }
        HookSetup setup = loaded;
        HookEngine engine = setup.engine();
        List<DamagedJournal> damaged = new ArrayList<>();
        List<VmJournal> readable = setup.state().loadAll(damaged);
        List<String> names = new ArrayList<>();
        if (vm != null) {
            // Only this VM's own journal decides here: another VM's damage shows in the claims this one cannot undo yet.
            damaged.removeIf(d -> !d.file().equals(setup.state().fileFor(vm)));
            if (damaged.isEmpty()) {
                names.add(vm);
            }
        } else {
            readable.stream().map(VmJournal::vmName).forEach(names::add);
        }
        // Nothing can be undone from a journal that cannot be read: say so and fail, never "nothing to restore".
        damaged.forEach(d -> System.err.println("libvirt-hooks restore: cannot undo anything from " + d.describe() + "; "
                + d.byHand()));
        if (names.isEmpty() && damaged.isEmpty()) {
            System.out.println("nothing to restore: no VM has host changes recorded in " + setup.stateDir());
            if (broken != null) {
                System.err.println("libvirt-hooks restore: the configuration is broken: " + broken);
            }
            return ExitCodes.OK;
        }
        int warnings = 0;
        for (String name : names) {
            System.out.println("restoring " + name);
            HookOutcome outcome = engine.restore(name, line -> System.out.println("  " + line));
            for (String w : outcome.warnings()) {
                System.err.println("libvirt-hooks restore: " + name + ": " + w);
                warnings++;
            }
        }
        if (broken != null) {
            System.err.println("libvirt-hooks restore: undone from the journals in " + setup.stateDir() + ", but the configuration"
                    + " is broken: " + broken + "; fix it before the next VM start");
        }
        return warnings == 0 && damaged.isEmpty() ? ExitCodes.OK : ExitCodes.FAILED;
    }
}
