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

    private SystemdHost() {
    }

    /**
     * @param feature the feature that needs systemd
     * @param needs   what it needs systemd for, completing "it needs systemd for ..."
     * @throws FeatureException when systemd is not the init system
     */
    public static void require(FeatureContext context, String feature, String needs) {
        if (!context.host().exists(RUNTIME)) {
            throw new FeatureException(feature + ": systemd is not the init system (no " + RUNTIME + "), and " + feature
                    + " needs it for " + needs + "; remove <" + feature + "/> from " + context.domain().name()
                    + "'s hooks (or set enabled='false') to start it on this host");
        }
    }
}
