package io.github.libvirthooks.app.plan;

import io.github.libvirthooks.app.status.DamagedJournalView;
import io.github.libvirthooks.features.config.ConfigException;
import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.FeaturePlan;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.engine.HookRequest;
import io.github.libvirthooks.features.hook.HookSetup;
import io.github.libvirthooks.features.state.DamagedJournal;
import io.github.libvirthooks.features.state.JournalEntry;
import io.github.libvirthooks.sysfs.Change;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A dry run of one hook event for a VM: the merged configuration, and what the hook's own code
 * does on a dry host ({@link io.github.libvirthooks.features.engine.HookEngine#plan}), per feature.
 */
public final class DryRun {
    /** The key of {@link Plan#refused} when the VM's configuration itself is refused. */
    public static final String CONFIGURATION = "configuration";

    /**
     * What a hook would do.
     *
     * @param formatVersion version of this JSON shape (fields are only ever added)
     * @param vm       the VM
     * @param event    the operation planned for
     * @param features enabled features and their merged options
     * @param actions  per feature acting at this event, what it would do, in words
     * @param effects  per feature acting at this event, its decisions and what it would write, create, remove and run
     * @param refused  per feature that would refuse the event, the hook's own message ({@value #CONFIGURATION} for the configuration)
     * @param damagedJournals journals in the state directory that cannot be read (features that count shared claims refuse then)
     */
    public record Plan(int formatVersion, String vm, String event, Map<String, Map<String, String>> features,
            Map<String, List<String>> actions, Map<String, Map<String, Object>> effects, Map<String, String> refused,
            List<DamagedJournalView> damagedJournals) {

        /** True when the hook would refuse the event. */
        public boolean refuses() {
            return !refused.isEmpty();
        }
    }

    private DryRun() {
    }

    public static Plan plan(HookSetup setup, Domain domain, HookOperation operation) {
        List<DamagedJournal> damaged = new ArrayList<>();
        setup.state().loadAll(damaged);
        List<DamagedJournalView> damagedViews = damaged.stream().map(DamagedJournalView::of).toList();
        HookInvocation invocation = new HookInvocation("qemu", domain.name(), operation, operation.isStopPath() ? "end" : "begin", "-");
        Map<String, Map<String, String>> enabled;
        try {
            // As the hook does: release undoes the journal whatever the configuration says now.
            enabled = operation == HookOperation.RELEASE ? Map.of() : setup.enabledFeatures().apply(domain.name(), domain);
        } catch (ConfigException | FeatureException e) {
            return new Plan(1, domain.name(), operation.word(), Map.of(), Map.of(), Map.of(), Map.of(CONFIGURATION, e.getMessage()),
                    damagedViews);
        }
        Map<String, List<String>> actions = new LinkedHashMap<>();
        Map<String, Map<String, Object>> effects = new LinkedHashMap<>();
        Map<String, String> refused = new LinkedHashMap<>();
        List<FeaturePlan> plans;
        try {
            plans = setup.planEngine().plan(HookRequest.of(invocation, domain), enabled);
        } catch (FeatureException e) {
            return new Plan(1, domain.name(), operation.word(), enabled, Map.of(), Map.of(), Map.of(CONFIGURATION, e.getMessage()),
                    damagedViews);
        }
        for (FeaturePlan feature : plans) {
            actions.put(feature.feature(), lines(feature));
            effects.put(feature.feature(), effects(feature));
            feature.refused().ifPresent(message -> refused.put(feature.feature(), message));
        }
        return new Plan(1, domain.name(), operation.word(), enabled, actions, effects, refused, damagedViews);
    }

    private static List<String> lines(FeaturePlan plan) {
        List<String> lines = new ArrayList<>();
        plan.effects().forEach((name, value) -> lines.add(name + ": " + shownEffect(value)));
        for (Change write : plan.writes()) {
            lines.add(write.before().isEmpty() && write.after().isEmpty() ? "write " + write.path()
                    : "write " + write.path() + " = " + shown(write.after()) + " (now " + shown(write.before()) + ")");
        }
        plan.removed().forEach(path -> lines.add("remove " + path));
        plan.created().forEach(path -> lines.add("create " + path));
        plan.commands().forEach(argv -> lines.add("run " + String.join(" ", argv)));
        plan.scripts().forEach(argv -> lines.add("run script " + String.join(" ", argv)));
        plan.claims().forEach(claim -> lines.add("claim " + claim.key() + ", given back at release"));
        // The hook's own notes ("warn   isolcpu: ..."), without the feature's name that the output puts first.
        plan.notes().forEach(note -> lines.add(note.replaceFirst("^([a-z]+) +" + java.util.regex.Pattern.quote(plan.feature()) + ": ",
                "$1: ")));
        plan.refused().ifPresent(message -> lines.add("refuses: " + message.replaceFirst("^" + java.util.regex.Pattern.quote(
                plan.feature()) + ": ", "")));
        if (lines.isEmpty()) {
            lines.add("nothing to do");
        }
        return lines;
    }

    private static Map<String, Object> effects(FeaturePlan plan) {
        Map<String, Object> effects = new LinkedHashMap<>(plan.effects());
        effects.put("writes", plan.writes().stream().map(w -> {
            Map<String, Object> write = new LinkedHashMap<>();
            write.put("path", w.path());
            write.put("value", w.after());
            write.put("now", w.before());
            return write;
        }).toList());
        effects.put("created", plan.created());
        effects.put("removed", plan.removed());
        effects.put("commands", plan.commands());
        effects.put("scripts", plan.scripts());
        effects.put("claims", plan.claims().stream().map(JournalEntry::key).toList());
        return effects;
    }

    /** A pool list as {@code 2 x 2048 KiB pages (global pool)}; anything else as it prints. */
    private static String shownEffect(Object value) {
        if (value instanceof List<?> list && list.stream().allMatch(e -> e instanceof Map<?, ?> m && m.containsKey("sizeKiB"))) {
            if (list.isEmpty()) {
                return "none";
            }
            return String.join(", ", list.stream().map(e -> (Map<?, ?>) e).map(p -> p.get("pages") + " x " + p.get("sizeKiB")
                    + " KiB pages (" + (p.get("node") == null ? "global pool" : "node " + p.get("node")) + ")").toList());
        }
        return String.valueOf(value);
    }

    private static String shown(String value) {
        return value.isEmpty() ? "''" : value.replace("\n", "\\n");
    }
}
