package io.github.libvirthooks.app.plan;

import io.github.libvirthooks.app.status.DamagedJournalView;
import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.engine.DamagedJournalException;
import io.github.libvirthooks.features.engine.Feature;
import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.hook.HookSetup;
import io.github.libvirthooks.features.state.JournalEntry;
import io.github.libvirthooks.features.state.DamagedJournal;
import io.github.libvirthooks.features.state.OtherJournals;
import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.HostWriteListener;
import io.github.libvirthooks.sysfs.exec.CommandException;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A dry run of one hook event for a VM: the merged configuration and what each enabled
 * feature would do, computed with a host that refuses every write and no commands.
 */
public final class DryRun {
    /**
     * What a hook would do.
     *
     * @param vm       the VM
     * @param event    the operation planned for
     * @param features enabled features and their merged options
     * @param actions  per feature acting at this event, what it would do
     * @param damagedJournals journals in the state directory that cannot be read (features that count shared claims refuse then)
     */
    public record Plan(String vm, String event, Map<String, Map<String, String>> features, Map<String, List<String>> actions,
            List<DamagedJournalView> damagedJournals) {
    }

    private DryRun() {
    }

    public static Plan plan(HookSetup setup, Domain domain, HookOperation operation) {
        Map<String, Map<String, String>> enabled = setup.enabledFeatures().apply(domain.name(), domain);
        FeatureCatalog.validate(enabled);
        HostRoot readOnly = setup.host().withListener(new HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) throws IOException {
                throw new IOException("plan is a dry run and writes nothing");
            }

            @Override
            public void beforeTrigger(String path, String value) throws IOException {
                throw new IOException("plan is a dry run and writes nothing");
            }
        });
        CommandRunner noCommands = (argv, timeout) -> {
            throw new CommandException(argv, "plan is a dry run and runs no command");
        };
        OtherJournals others = setup.state().othersThan(domain.name());
        List<DamagedJournal> damaged = new ArrayList<>();
        setup.state().loadAll(damaged);
        HookInvocation invocation = new HookInvocation("qemu", domain.name(), operation, "begin", "-");
        Map<String, List<String>> actions = new LinkedHashMap<>();
        for (Feature feature : FeatureCatalog.all()) {
            if (!enabled.containsKey(feature.name()) || !feature.actsOn().contains(operation)) {
                continue;
            }
            FeatureContext context = new FeatureContext(invocation, domain, enabled.get(feature.name()), readOnly, readOnly,
                    noCommands, others.readable(), others.damaged(), new NoClaims(), line -> { });
            List<String> lines;
            try {
                lines = feature.plan(context);
            } catch (DamagedJournalException e) {
                // The hook would refuse the same way.
                lines = List.of("refuses: " + e.getMessage());
            } catch (RuntimeException e) {
                lines = List.of("cannot plan: " + e.getMessage());
            }
            actions.put(feature.name(), lines);
        }
        return new Plan(domain.name(), operation.word(), enabled, actions, damaged.stream().map(DamagedJournalView::of).toList());
    }

    private static final class NoClaims implements FeatureContext.ClaimRecorder {
        @Override
        public void record(JournalEntry claim) {
            throw new IllegalStateException("plan is a dry run and claims nothing");
        }

        @Override
        public void update(JournalEntry claim) {
            throw new IllegalStateException("plan is a dry run and claims nothing");
        }
    }
}
