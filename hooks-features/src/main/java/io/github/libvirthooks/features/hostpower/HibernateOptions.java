package io.github.libvirthooks.features.hostpower;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The options of {@code dohibernate} and {@code beforeoff-dohibernate}.
 *
 * @param fallback           what to do when the guest cannot hibernate or does not finish in time
 * @param timeout            how long to wait for the hibernating guest to be shut off
 * @param shutdownTimeout    how long to wait for the guest after an ACPI shutdown ({@code fallback=shutdown})
 * @param restartAfterResume start the VM again after the host resumes ({@code dohibernate} only)
 */
public record HibernateOptions(Fallback fallback, Duration timeout, Duration shutdownTimeout, boolean restartAfterResume) {
    public static final String SLEEP_FEATURE = "dohibernate";
    public static final String SHUTDOWN_FEATURE = "beforeoff-dohibernate";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(60);
    static final Set<String> SHUTDOWN_KNOWN = io.github.libvirthooks.features.dohibernate.HibernateFeature.BEFORE_HOST_SHUTDOWN.optionNames();
    static final Set<String> SLEEP_KNOWN = io.github.libvirthooks.features.dohibernate.HibernateFeature.AT_HOST_SLEEP.optionNames();

    /** What happens when hibernation is impossible or too slow. */
    public enum Fallback {
        /** {@code virsh managedsave}: memory to disk by libvirt; impossible with passed-through host devices. */
        MANAGEDSAVE,
        /** {@code virsh shutdown --mode acpi}, waited for at most {@code shutdown-timeout}. */
        SHUTDOWN,
        /** Leave the guest running. */
        NONE
    }

    /**
     * Parses and checks the options of {@code feature} ({@link #SLEEP_FEATURE} or {@link #SHUTDOWN_FEATURE}).
     *
     * @throws io.github.libvirthooks.features.engine.FeatureException naming the bad option and what is allowed
     */
    public static HibernateOptions parse(String feature, Map<String, String> options) {
        OptionValues.onlyKnown(feature, options, feature.equals(SLEEP_FEATURE) ? SLEEP_KNOWN : SHUTDOWN_KNOWN);
        return new HibernateOptions(
                OptionValues.choice(feature, options, "fallback", Fallback.SHUTDOWN, Fallback.class),
                OptionValues.duration(feature, options, "timeout", DEFAULT_TIMEOUT, Duration.ofMinutes(30)),
                OptionValues.duration(feature, options, "shutdown-timeout", DEFAULT_SHUTDOWN_TIMEOUT, Duration.ofMinutes(30)),
                OptionValues.bool(feature, options, "restart-after-resume", false));
    }
}
