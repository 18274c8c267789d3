package io.github.libvirthooks.features.nosleep;

import io.github.libvirthooks.features.engine.ClaimCodec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The transient unit that holds a VM's inhibitor: stopping it lets the host sleep again.
 *
 * @param unit the unit, {@code libvirt-hooks-nosleep-<escaped VM name>.service}
 * @param what the logind locks it takes, colon-separated as {@code systemd-inhibit --what} takes them
 */
public record NosleepClaim(String unit, String what) {
    /** How this claim is kept in the journal: the unit is the resource, {@code what} its one value. */
    public static final ClaimCodec<NosleepClaim> CODEC = new ClaimCodec<>() {
        @Override
        public String feature() {
            return NosleepFeature.NAME;
        }

        @Override
        public String resource(NosleepClaim claim) {
            return claim.unit();
        }

        @Override
        public Map<String, String> encode(NosleepClaim claim) {
            return Map.of("what", claim.what());
        }

        @Override
        public NosleepClaim decode(String resource, Map<String, String> values) {
            return new NosleepClaim(resource, ClaimCodec.required(values, "what"));
        }

        @Override
        public Map<String, String> describe(NosleepClaim claim) {
            Map<String, String> shown = new LinkedHashMap<>();
            shown.put("unit", claim.unit());
            shown.put("inhibits", claim.what());
            return shown;
        }
    };

    public NosleepClaim {
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(what, "what");
    }
}
