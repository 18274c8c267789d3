package io.github.libvirthooks.features.engine;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a feature is, as data, declared once in the feature's own package: its name, the events
 * it acts on, its options, the features it cannot be combined with and the ones it replaces.
 * Configuration merging, option checks, the engine, the launcher's decision lists and the
 * README's option tables (checked by a test) read it.
 *
 * @param name      the element and property name ({@code hugepages})
 * @param summary   one line saying what it does
 * @param events    the operations at which it acts
 * @param options   its options, in the order the README lists them
 * @param conflicts features a VM cannot enable together with this one, each with the reason
 * @param replaces  features this one replaces where both are on (nosleep set for all VMs is
 *                  dropped for a VM with dosleep); enabling both for the VM itself is an error
 */
public record FeatureSpec(String name, String summary, Set<HookOperation> events, List<Option> options,
        Map<String, String> conflicts, Set<String> replaces) {

    public FeatureSpec {
        events = events.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(events));
        options = List.copyOf(options);
        conflicts = Map.copyOf(conflicts);
        replaces = Set.copyOf(replaces);
    }

    /**
     * One option.
     *
     * @param name         the attribute and property name
     * @param shownDefault the default as the README shows it ({@code `10s`}), empty when there is none
     * @param alias        true for a second spelling documented in another option's row ({@code readonly} for {@code mode})
     */
    public record Option(String name, String shownDefault, boolean alias) {
        public static Option of(String name, String shownDefault) {
            return new Option(name, shownDefault, false);
        }

        public static Option aliasOf(String name) {
            return new Option(name, "", true);
        }
    }

    /** A spec for a feature that declares only its name and events (features from jars). */
    public static FeatureSpec of(String name, Set<HookOperation> events) {
        return new FeatureSpec(name, "", events, List.of(), Map.of(), Set.of());
    }

    /** Starts a spec. */
    public static Builder named(String name, String summary) {
        return new Builder(name, summary);
    }

    /** The option names, in order. */
    public Set<String> optionNames() {
        Set<String> names = new LinkedHashSet<>();
        for (Option option : options) {
            names.add(option.name());
        }
        return names;
    }

    /** The first pair of enabled features whose specs exclude each other, with the reason. */
    public static Optional<Conflict> conflictAmong(List<FeatureSpec> specs, Set<String> enabled) {
        for (FeatureSpec spec : specs) {
            if (!enabled.contains(spec.name())) {
                continue;
            }
            for (Map.Entry<String, String> c : new java.util.TreeMap<>(spec.conflicts()).entrySet()) {
                if (enabled.contains(c.getKey())) {
                    return Optional.of(new Conflict(spec.name(), c.getKey(), c.getValue()));
                }
            }
        }
        return Optional.empty();
    }

    /** Two features a VM cannot have together. */
    public record Conflict(String first, String second, String why) {
    }

    /** Builds a spec in the reading order of its README section. */
    public static final class Builder {
        private final String name;
        private final String summary;
        private final Set<HookOperation> events = EnumSet.noneOf(HookOperation.class);
        private final List<Option> options = new ArrayList<>();
        private final Map<String, String> conflicts = new LinkedHashMap<>();
        private final Set<String> replaces = new LinkedHashSet<>();

        private Builder(String name, String summary) {
            this.name = name;
            this.summary = summary;
        }

        public Builder at(HookOperation... operations) {
            events.addAll(List.of(operations));
            return this;
        }

        public Builder option(String option, String shownDefault) {
            options.add(Option.of(option, shownDefault));
            return this;
        }

        public Builder alias(String option) {
            options.add(Option.aliasOf(option));
            return this;
        }

        public Builder conflictsWith(String feature, String why) {
            conflicts.put(feature, why);
            return this;
        }

        public Builder replaces(String feature) {
            replaces.add(feature);
            return this;
        }

        public FeatureSpec build() {
            return new FeatureSpec(name, summary, events, options, conflicts, replaces);
        }
    }
}
