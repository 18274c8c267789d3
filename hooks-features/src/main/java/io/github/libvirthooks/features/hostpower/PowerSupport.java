package io.github.libvirthooks.features.hostpower;

import io.github.libvirthooks.features.domain.Domain;

/**
 * Whether a guest can be asked to suspend to RAM or to hibernate, and why not, for
 * {@code doctor}, {@code plan}, the features' checks at {@code prepare} and the host sleep and
 * shutdown handlers, which all decide the same way.
 */
public final class PowerSupport {
    private PowerSupport() {
    }

    /**
     * An answer with its reason in the user's terms.
     *
     * @param possible true when the guest agent can be asked
     * @param reason   why (or why not), one line, naming the XML to add where it is missing
     */
    public record Verdict(boolean possible, String reason) {
    }

    /** Can the guest agent put this guest to sleep in RAM (S3)? */
    public static Verdict suspendToMem(Domain domain, GuestPm pm) {
        if (!domain.hasGuestAgent()) {
            return new Verdict(false, "no guest agent channel: add <channel type='unix'><target type='virtio'"
                    + " name='org.qemu.guest_agent.0'/></channel> and run qemu-guest-agent in the guest");
        }
        if (pm.suspendToMem().isEmpty()) {
            return new Verdict(false, "the domain XML does not enable S3: add <pm><suspend-to-mem enabled='yes'/></pm>");
        }
        if (!pm.allowsSuspendToMem()) {
            return new Verdict(false, "the domain XML disables S3 (<pm><suspend-to-mem enabled='no'/>)");
        }
        return new Verdict(true, "guest agent channel present and <suspend-to-mem enabled='yes'/>");
    }

    /** Can the guest agent hibernate this guest (S4)? */
    public static Verdict hibernation(Domain domain, GuestPm pm) {
        if (!domain.hasGuestAgent()) {
            return new Verdict(false, "no guest agent channel: add <channel type='unix'><target type='virtio'"
                    + " name='org.qemu.guest_agent.0'/></channel> and run qemu-guest-agent in the guest");
        }
        if (pm.suspendToDisk().isEmpty()) {
            return new Verdict(false, "the domain XML does not enable S4: add <pm><suspend-to-disk enabled='yes'/></pm>");
        }
        if (!pm.allowsSuspendToDisk()) {
            return new Verdict(false, "the domain XML disables S4 (<pm><suspend-to-disk enabled='no'/>)");
        }
        return new Verdict(true, "guest agent channel present and <suspend-to-disk enabled='yes'/>");
    }

    /** Can libvirt save this guest's memory ({@code managedsave})? Not with passed-through host devices. */
    public static Verdict managedSave(Domain domain) {
        return domain.hasHostDevices()
                ? new Verdict(false, "the domain passes through host devices (<hostdev>), which libvirt cannot save")
                : new Verdict(true, "no passed-through host devices");
    }
}
