package io.github.libvirthooks.features.engine;

import io.github.libvirthooks.features.state.JournalEntry;
import java.util.Map;
import java.util.Set;

/**
 * One feature (hugepages, isolcpu, ...): the events it acts on, doing it, and giving back the
 * counted claims it made. Plain file changes are undone by the engine from the journal; a
 * feature only undoes its own {@link JournalEntry.Kind#CLAIM}s, which built-in features keep as
 * typed records ({@link ClaimingFeature}). {@code plan} runs
 * {@link #apply} itself on a dry host ({@link HookEngine#plan}): a feature has no second,
 * descriptive implementation that could disagree with what it does.
 */
public interface Feature {
    /** The user's name of the feature, as in the metadata element. */
    String name();

    /** The operations at which {@link #apply} runs. */
    Set<HookOperation> actsOn();

    /**
     * What the feature is, as data. Built-in features declare it once and answer {@link #name}
     * and {@link #actsOn} from it; a feature from a jar gets one made of those two.
     */
    default FeatureSpec spec() {
        return FeatureSpec.of(name(), actsOn());
    }

    /**
     * Does the work. Every host write goes through {@link FeatureContext#host()}, which
     * journals it first, or, for a resource a claim tracks, through
     * {@link FeatureContext#claimedHost()} after {@link FeatureContext#claim}. Throw
     * {@link FeatureException} to abort: the engine rolls back what was done.
     */
    void apply(FeatureContext context);

    /** Gives back a claim this feature recorded. Must be safe to run twice. */
    default void undoClaim(JournalEntry claim, FeatureContext context) {
        throw new IllegalStateException(name() + " recorded a claim it cannot undo: " + claim.key());
    }

    /** What {@code status} shows of a claim this feature recorded (see {@link ClaimCodec#describe}). */
    default Map<String, String> describeClaim(JournalEntry claim) {
        return claim.values();
    }
}
