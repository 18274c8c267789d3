package io.github.libvirthooks.features.engine;

import io.github.libvirthooks.features.state.JournalEntry;
import java.util.Map;

/**
 * A feature that takes shares of counted resources, each recorded as a typed claim before the
 * host is touched ({@link FeatureContext#claim}) and given back by {@link #undo}. The engine
 * decodes the journal's claims with the feature's {@link #claimCodec} before handing them over,
 * so a feature never sees the journal's text.
 *
 * @param <C> the feature's claim record
 */
public interface ClaimingFeature<C> extends Feature {
    /** How this feature's claims are kept in the journal. */
    ClaimCodec<C> claimCodec();

    /**
     * Gives back a claim this feature recorded. Must be safe to run twice: a crash may leave the
     * claim in the journal after part of it was given back (record progress with
     * {@link FeatureContext#updateClaim}).
     */
    void undo(C claim, FeatureContext context);

    @Override
    default void undoClaim(JournalEntry claim, FeatureContext context) {
        undo(decode(claim), context);
    }

    @Override
    default Map<String, String> describeClaim(JournalEntry claim) {
        return claimCodec().describe(decode(claim));
    }

    private C decode(JournalEntry claim) {
        try {
            return claimCodec().decode(claim.key(), claim.values());
        } catch (IllegalArgumentException e) {
            throw new FeatureException("damaged " + name() + " claim on " + claim.key() + " in the journal: " + e.getMessage());
        }
    }
}
