package io.github.libvirthooks.features.hostpower;

import java.util.List;

/**
 * What a host sleep or shutdown run did.
 *
 * @param handled  the VMs something was done to (or tried), by name
 * @param warnings what did not go as configured; the host sleeps or powers off anyway
 */
public record HostPowerResult(List<String> handled, List<String> warnings) {
    public HostPowerResult {
        handled = List.copyOf(handled);
        warnings = List.copyOf(warnings);
    }

    public boolean clean() {
        return warnings.isEmpty();
    }
}
