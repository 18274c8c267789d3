package io.github.libvirthooks.features.engine;

/**
 * Features whose work only systemd can do (a logind inhibitor, the units {@code sleep.target}
 * and the shutdown run start) refuse the VM's start on a host with another init system (Artix,
 * Void, Gentoo with OpenRC): a start that succeeds would promise what can never happen, and the
 * user would find out at the first host sleep instead of at {@code virsh start}.
 */
public final class SystemdHost {
    /** Exists when systemd runs as PID 1 (what sd_booted() tests). */
    public static final String RUNTIME = "/run/systemd/system";

    /**
     * The option of the host-power features that says who runs {@code libvirt-hooks host-sleep}
     * or {@code host-shutdown}: {@code systemd} (its units, the default) or {@code manual} (you,
     * from another init's sleep or shutdown hook, such as elogind's {@code system-sleep} folder):
     * then the start is not refused without systemd.
     */
    public static final String TRIGGER = "trigger";
    static final String SYSTEMD = "systemd";
    static final String MANUAL = "manual";

    private SystemdHost() {
    }

    /**
     * @param feature the feature that needs systemd
     * @param needs   what it needs systemd for, completing "it needs systemd for ..."
     * @throws FeatureException when systemd is not the init system
     */
    public static void require(FeatureContext context, String feature, String needs) {
        String trigger = context.options().getOrDefault(TRIGGER, SYSTEMD);
        if (trigger.equals(MANUAL)) {
            return;
        }
        if (!trigger.equals(SYSTEMD)) {
            throw new FeatureException(feature + ": trigger='" + io.github.libvirthooks.features.state.DamagedJournal.printable(trigger)
                    + "' is neither systemd nor manual");
        }
        if (!context.host().exists(RUNTIME)) {
            throw new FeatureException(feature + ": systemd is not the init system (no " + RUNTIME + "), and " + feature
                    + " needs it for " + needs + "; remove <" + feature + "/> from " + context.domain().name()
                    + "'s hooks (or set enabled='false') to start it on this host, or set trigger='manual' if you run"
                    + " 'libvirt-hooks host-sleep'/'host-shutdown' yourself from your init's sleep or shutdown hooks");
        }
    }
}
