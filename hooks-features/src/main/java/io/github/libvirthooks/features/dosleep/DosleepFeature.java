package io.github.libvirthooks.features.dosleep;

import io.github.libvirthooks.features.engine.Feature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.FeatureSpec;
import io.github.libvirthooks.features.engine.SpecifiedFeature;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.engine.SystemdHost;
import io.github.libvirthooks.features.hostpower.DosleepOptions;
import io.github.libvirthooks.features.hostpower.HostSleep;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code dosleep}: instead of keeping the host awake, put the guest to sleep when the host
 * sleeps and wake it after resume. The work happens outside the hook, in {@link HostSleep}
 * ({@code libvirt-hooks host-sleep pre|post}, run by systemd); at {@code prepare} the hook only
 * checks the options and tells what will happen, so that a mistake shows at {@code virsh start}
 * and not at the first sleep. It changes nothing on the host, and refuses a host without
 * systemd, where nothing would run at host sleep.
 *
 * <p>Options: see {@link DosleepOptions}.
 */
public final class DosleepFeature implements SpecifiedFeature {
    public static final String NAME = DosleepOptions.FEATURE;
    /** What this feature is: its events and options (the README's table is checked against it). */
    public static final FeatureSpec SPEC = FeatureSpec.named(NAME, "put the guest to sleep when the host sleeps, wake it after resume")
            .at(HookOperation.PREPARE)
            .option("mode", "`auto`")
            .option("timeout", "`20s`")
            .option("trigger", "`systemd`")
            .conflictsWith(io.github.libvirthooks.features.hostpower.HibernateOptions.SLEEP_FEATURE,
                    "both decide what happens at host sleep: a VM either sleeps or hibernates")
            .replaces("nosleep")
            .build();

    @Override
    public FeatureSpec spec() {
        return SPEC;
    }

    @Override
    public void apply(FeatureContext context) {
        DosleepOptions.parse(context.options());
        SystemdHost.require(context, NAME, "libvirt-hooks-sleep.service, which sleep.target starts before the host sleeps");
        context.report().accept("info   " + what(context));
    }

    private static String what(FeatureContext context) {
        DosleepOptions options = DosleepOptions.parse(context.options());
        String vm = context.domain().name();
        if (options.mode() == DosleepOptions.Mode.PAUSE) {
            return "dosleep: at host sleep " + vm + " is paused (mode=pause), resumed after the host wakes";
        }
        if (!context.domain().hasGuestAgent()) {
            return "dosleep: at host sleep " + vm + " is paused (no guest agent channel for suspend-to-RAM), resumed after the host wakes";
        }
        return "dosleep: at host sleep the guest agent suspends " + vm + " to RAM if the XML has <pm><suspend-to-mem enabled='yes'/>"
                + " (else, or after " + options.timeout().toSeconds() + " s, it is paused); woken after the host wakes";
    }

}
