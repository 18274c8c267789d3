package io.github.libvirthooks.features.engine;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How one feature's typed claim is kept in the journal, which stays text: the claim's resource
 * (the journal key) and its values as strings. One codec per feature, next to its claim record;
 * it is the only code that knows the claim's journal keys, so a journal written by this release
 * must still decode in the next one (keep old keys readable when the record grows).
 *
 * @param <C> the feature's claim record
 */
public interface ClaimCodec<C> {
    /** The feature whose claims these are. */
    String feature();

    /** The resource the claim is on, unique per VM and feature (a hugepage pool, a unit, a script). */
    String resource(C claim);

    /** The claim's values for the journal. */
    Map<String, String> encode(C claim);

    /**
     * The claim back from the journal.
     *
     * @throws IllegalArgumentException when a value is missing or malformed (a damaged or planted journal)
     */
    C decode(String resource, Map<String, String> values);

    /**
     * What {@code status} shows of a claim: named for users, a stable interface (names are only
     * added). By default its journal values, for claims whose keys already say what they are.
     */
    default Map<String, String> describe(C claim) {
        return new LinkedHashMap<>(encode(claim));
    }

    /** A required value, or a clear error naming it. */
    static String required(Map<String, String> values, String name) {
        String v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("claim has no '" + name + "' value");
        }
        return v;
    }

    /** A required whole number. */
    static long number(Map<String, String> values, String name) {
        String v = required(values, name);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("claim value " + name + "='" + v + "' is not a number");
        }
    }

    /** An optional whole number, {@code fallback} when absent (a value that older releases did not write). */
    static long number(Map<String, String> values, String name, long fallback) {
        return values.containsKey(name) ? number(values, name) : fallback;
    }
}
