package io.github.libvirthooks.features.dohibernate;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.engine.Feature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.FeatureSpec;
import io.github.libvirthooks.features.engine.SpecifiedFeature;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.engine.SystemdHost;
import io.github.libvirthooks.features.hostpower.HibernateOptions;
import io.github.libvirthooks.features.hostpower.PowerSupport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code dohibernate} (host sleep) and {@code beforeoff-dohibernate} (host power-off or
 * reboot): hibernate the guest through its agent before the host goes, with a fallback. The
 * work happens outside the hook ({@code libvirt-hooks host-sleep pre} and
 * {@code libvirt-hooks host-shutdown}); at {@code prepare} the hook checks the options and
 * refuses a fallback that can never work or a host without systemd, and tells what will happen. It changes nothing on the host.
 *
 * <p>The domain XML must allow hibernation with {@code <pm><suspend-to-disk enabled='yes'/>};
 * the hook cannot see {@code <pm>} yet (the parsed domain lacks it), so {@code plan} and the
 * handlers, which read the live XML, say when it does not.
 */
public final class HibernateFeature implements SpecifiedFeature {
    /** {@code dohibernate}: what it is (the README's table is checked against it). */
    public static final FeatureSpec AT_HOST_SLEEP = FeatureSpec.named(HibernateOptions.SLEEP_FEATURE,
                    "hibernate the guest when the host sleeps")
            .at(HookOperation.PREPARE)
            .option("fallback", "`shutdown`")
            .option("timeout", "`120s`")
            .option("shutdown-timeout", "`60s`")
            .option("trigger", "`systemd`")
            .option("restart-after-resume", "`false`")
            .conflictsWith("dosleep", "both decide what happens at host sleep: a VM either sleeps or hibernates")
            .replaces("nosleep")
            .build();
    /** {@code beforeoff-dohibernate}: what it is. */
    public static final FeatureSpec BEFORE_HOST_SHUTDOWN = FeatureSpec.named(HibernateOptions.SHUTDOWN_FEATURE,
                    "hibernate the guest before the host powers off or reboots")
            .at(HookOperation.PREPARE)
            .option("fallback", "`shutdown`")
            .option("timeout", "`120s`")
            .option("shutdown-timeout", "`60s`")
            .option("trigger", "`systemd`")
            .build();

    private final FeatureSpec spec;
    private final String name;

    private HibernateFeature(FeatureSpec spec) {
        this.spec = spec;
        this.name = spec.name();
    }

    /** {@code dohibernate}: at host sleep. */
    public static HibernateFeature atHostSleep() {
        return new HibernateFeature(AT_HOST_SLEEP);
    }

    /** {@code beforeoff-dohibernate}: at host shutdown. */
    public static HibernateFeature beforeHostShutdown() {
        return new HibernateFeature(BEFORE_HOST_SHUTDOWN);
    }

    @Override
    public FeatureSpec spec() {
        return spec;
    }

    @Override
    public void apply(FeatureContext context) {
        for (String line : lines(context)) {
            context.report().accept((line.startsWith("warn") ? "" : "info   ") + line);
        }
    }

    private List<String> lines(FeatureContext context) {
        HibernateOptions options = HibernateOptions.parse(name, context.options());
        SystemdHost.require(context, name, name.equals(HibernateOptions.SLEEP_FEATURE)
                ? "libvirt-hooks-sleep.service, which sleep.target starts before the host sleeps"
                : "libvirt-hooks-shutdown.service, which systemd stops before libvirt at power-off");
        Domain domain = context.domain();
        String when = name.equals(HibernateOptions.SLEEP_FEATURE) ? "host sleep" : "host power-off or reboot";
        String fallback = options.fallback().name().toLowerCase(Locale.ROOT);
        if (options.fallback() == HibernateOptions.Fallback.MANAGEDSAVE && !PowerSupport.managedSave(domain).possible()) {
            throw new FeatureException(name + ": fallback=managedsave cannot work for " + domain.name() + ": "
                    + PowerSupport.managedSave(domain).reason() + "; use fallback=shutdown or fallback=none");
        }
        List<String> lines = new ArrayList<>();
        lines.add(name + ": at " + when + " the guest agent hibernates " + domain.name() + " (needs <pm><suspend-to-disk"
                + " enabled='yes'/>), waited for up to " + options.timeout().toSeconds() + " s; else fallback " + fallback
                + (options.restartAfterResume() ? "; started again after the host resumes" : ""));
        if (!domain.hasGuestAgent()) {
            lines.add("warn   " + name + ": " + domain.name() + " has no guest agent channel (org.qemu.guest_agent.0), so it"
                    + " cannot hibernate: fallback " + fallback + " will be used");
        }
        return lines;
    }
}
