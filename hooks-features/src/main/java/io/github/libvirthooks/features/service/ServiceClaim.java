package io.github.libvirthooks.features.service;

import io.github.libvirthooks.features.config.Durations;
import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.engine.FeatureException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A unit started for a VM, stopped at release.
 *
 * @param unit     the instance, {@code scream@<escaped VM name>.service}
 * @param template the template it is an instance of
 * @param timeout  how long {@code systemctl stop} may take
 */
public record ServiceClaim(String unit, TemplateUnit template, Duration timeout) {
    /** How this claim is kept in the journal: the unit is the resource, with {@code template} and {@code timeout-ms}. */
    public static final ClaimCodec<ServiceClaim> CODEC = new ClaimCodec<>() {
        @Override
        public String feature() {
            return ServiceFeature.NAME;
        }

        @Override
        public String resource(ServiceClaim claim) {
            return claim.unit();
        }

        @Override
        public Map<String, String> encode(ServiceClaim claim) {
            Map<String, String> values = new LinkedHashMap<>();
            values.put("template", claim.template().template());
            values.put("timeout-ms", Long.toString(claim.timeout().toMillis()));
            return values;
        }

        @Override
        public ServiceClaim decode(String resource, Map<String, String> values) {
            String template = ClaimCodec.required(values, "template");
            TemplateUnit parsed;
            try {
                parsed = TemplateUnit.parse(template);
            } catch (FeatureException e) {
                throw new IllegalArgumentException("claim value template='" + template + "' is no systemd template", e);
            }
            long ms = ClaimCodec.number(values, "timeout-ms");
            if (ms <= 0) {
                throw new IllegalArgumentException("claim value timeout-ms='" + ms + "' is not a positive time");
            }
            return new ServiceClaim(resource, parsed, Duration.ofMillis(ms));
        }

        @Override
        public Map<String, String> describe(ServiceClaim claim) {
            Map<String, String> shown = new LinkedHashMap<>();
            shown.put("unit", claim.unit());
            shown.put("template", claim.template().template());
            shown.put("stop timeout", Durations.format(claim.timeout()));
            return shown;
        }
    };

    public ServiceClaim {
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(timeout, "timeout");
    }
}
