package io.github.libvirthooks.features.state;

import io.github.libvirthooks.sysfs.Change;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One thing a feature did to the host for a VM, recorded before it was done.
 *
 * <p>A {@link Kind#CHANGE} is a file value with its old value: undone by writing the old
 * value back. A {@link Kind#CLAIM} is a share of a counted resource (hugepages taken, CPUs
 * isolated): undone by the feature that made it, which knows how to give back only its share.
 * A {@link Kind#STEP} is one host step taken under the feature's last claim (a write, trigger,
 * created or removed file): a record of what the claim did, undone by the claim, never by itself.
 *
 * @param feature the feature that made it
 * @param kind    change or claim
 * @param key     the host path for a change or a step; the resource name for a claim
 * @param values  for a change: {@code before} and {@code after}; for a claim: its codec's values;
 *                for a step: {@code claim} (the resource), {@code op}, and for a write {@code before} and {@code after}
 */
public record JournalEntry(String feature, Kind kind, String key, Map<String, String> values) {
    /** What sort of record. */
    public enum Kind { CHANGE, CLAIM, STEP }

    public JournalEntry {
        Objects.requireNonNull(feature, "feature");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(key, "key");
        values = java.util.Collections.unmodifiableMap(new TreeMap<>(values));
    }

    /** A file change. */
    public static JournalEntry change(String feature, Change change) {
        return new JournalEntry(feature, Kind.CHANGE, change.path(), Map.of("before", change.before(), "after", change.after()));
    }

    /** A claim on a counted resource. */
    public static JournalEntry claim(String feature, String resource, Map<String, String> values) {
        return new JournalEntry(feature, Kind.CLAIM, resource, values);
    }

    /**
     * A host step taken under a claim on {@code resource}.
     *
     * @param op {@code write}, {@code trigger}, {@code create} or {@code remove}
     */
    public static JournalEntry step(String feature, String resource, String op, String path, String before, String after) {
        Map<String, String> values = new TreeMap<>();
        values.put("claim", resource);
        values.put("op", op);
        if (op.equals("write")) {
            values.put("before", before);
        }
        if (op.equals("write") || op.equals("trigger")) {
            values.put("after", after);
        }
        return new JournalEntry(feature, Kind.STEP, path, values);
    }

    /** The file change this entry records; only for {@link Kind#CHANGE}. */
    public Change asChange() {
        if (kind != Kind.CHANGE) {
            throw new IllegalStateException("not a change: " + this);
        }
        return new Change(key, values.getOrDefault("before", ""), values.getOrDefault("after", ""));
    }

    /** A claim's number, or {@code fallback} when absent. */
    public long number(String name, long fallback) {
        String v = values.get(name);
        return v == null ? fallback : Long.parseLong(v);
    }

    /** This entry with one value replaced. */
    public JournalEntry with(String name, String value) {
        Map<String, String> copy = new TreeMap<>(values);
        copy.put(name, value);
        return new JournalEntry(feature, kind, key, copy);
    }
}
