package io.github.libvirthooks.features.hostpower;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The options of {@code dosleep}.
 *
 * @param mode    {@code auto}: guest agent suspend-to-RAM where the domain allows it, else pause;
 *                {@code pause}: always pause (for guests whose S3 resume is unreliable, e.g. with a passed-through GPU)
 * @param timeout how long to wait for the guest to reach {@code pmsuspended} before pausing it instead
 */
public record DosleepOptions(Mode mode, Duration timeout) {
    public static final String FEATURE = "dosleep";
    static final Set<String> KNOWN = io.github.libvirthooks.features.dosleep.DosleepFeature.SPEC.optionNames();
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

    /** How the guest is put to sleep. */
    public enum Mode { AUTO, PAUSE }

    /**
     * Parses and checks the options.
     *
     * @throws io.github.libvirthooks.features.engine.FeatureException naming the bad option and what is allowed
     */
    public static DosleepOptions parse(Map<String, String> options) {
        OptionValues.onlyKnown(FEATURE, options, KNOWN);
        return new DosleepOptions(OptionValues.choice(FEATURE, options, "mode", Mode.AUTO, Mode.class),
                OptionValues.duration(FEATURE, options, "timeout", DEFAULT_TIMEOUT, Duration.ofMinutes(10)));
    }
}
