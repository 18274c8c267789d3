package io.github.libvirthooks.features.hostpower;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * An active domain as the host sleep and shutdown handlers see it: its live XML and the
 * features its configuration enables.
 *
 * @param uuid     the domain's UUID, which every virsh call uses
 * @param domain   the parsed live XML
 * @param pm       its {@code <pm>} element
 * @param features enabled features and their options, as the hook would resolve them
 */
record Guest(String uuid, Domain domain, GuestPm pm, Map<String, Map<String, String>> features) {
    String name() {
        return domain.name();
    }

    /**
     * Every active domain with at least one of {@code wanted} features. A domain whose XML or
     * configuration cannot be read is reported and left alone: one bad VM must not keep the
     * others from being handled.
     */
    static List<Guest> discover(Virsh virsh, BiFunction<String, Domain, Map<String, Map<String, String>>> enabledFeatures,
            List<String> wanted, PowerRun run) {
        List<Guest> guests = new ArrayList<>();
        for (String uuid : virsh.activeUuids()) {
            try {
                byte[] xml = virsh.dumpxml(uuid);
                Domain domain = new DomainXmlParser().parse(xml);
                Map<String, Map<String, String>> features = enabledFeatures.apply(domain.name(), domain);
                if (wanted.stream().anyMatch(features::containsKey)) {
                    guests.add(new Guest(uuid, domain, GuestPm.parse(xml), features));
                }
            } catch (RuntimeException e) {
                run.warn("domain " + uuid + ": cannot read its XML or configuration, left alone: " + e.getMessage());
            }
        }
        return guests;
    }
}
