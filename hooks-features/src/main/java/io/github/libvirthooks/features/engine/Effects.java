package io.github.libvirthooks.features.engine;

/**
 * Receives what a feature decided, as values for {@code plan --json}'s {@code effects}: for
 * hugepages the pools, for isolcpu the CPUs. Values are strings, numbers, booleans, and lists
 * and maps of those. A hook run ignores them; {@code plan} shows them.
 */
@FunctionalInterface
public interface Effects {
    /** Records one named value of this feature's decision (a later value of the same name replaces it). */
    void put(String name, Object value);

    /** Effects nobody looks at (a hook run). */
    Effects IGNORED = new Effects() {
        @Override
        public void put(String name, Object value) {
            // A hook run has no use for them (a class, not a lambda: no call site to bootstrap per event).
        }
    };
}
