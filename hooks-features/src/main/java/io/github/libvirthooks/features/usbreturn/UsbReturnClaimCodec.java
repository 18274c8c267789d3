package io.github.libvirthooks.features.usbreturn;

import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.usbreturn.UsbReturnClaim.Controller;
import io.github.libvirthooks.features.usbreturn.UsbReturnClaim.Device;
import io.github.libvirthooks.sysfs.pci.PciAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** The journal form of {@link UsbReturnClaim}s: {@code usb PORT} or {@code pci ADDRESS}, with the host drivers. */
final class UsbReturnClaimCodec implements ClaimCodec<UsbReturnClaim> {
    static final UsbReturnClaimCodec INSTANCE = new UsbReturnClaimCodec();
    private static final String INTERFACE = "driver:";

    @Override
    public String feature() {
        return UsbReturnFeature.NAME;
    }

    @Override
    public String resource(UsbReturnClaim claim) {
        return claim.resource();
    }

    @Override
    public Map<String, String> encode(UsbReturnClaim claim) {
        Map<String, String> v = new LinkedHashMap<>();
        if (claim instanceof Device d) {
            v.put("ids", d.ids());
            d.interfaces().forEach((i, driver) -> v.put(INTERFACE + i, driver));
        } else if (claim instanceof Controller c) {
            v.put("driver", c.driver());
        }
        v.put("timeout-ms", String.valueOf(claim.timeout().toMillis()));
        return v;
    }

    @Override
    public UsbReturnClaim decode(String resource, Map<String, String> values) {
        long ms = ClaimCodec.number(values, "timeout-ms");
        if (ms < 1 || ms > Duration.ofMinutes(10).toMillis()) {
            throw new IllegalArgumentException("timeout-ms " + ms + " out of range");
        }
        Duration timeout = Duration.ofMillis(ms);
        if (resource.startsWith("usb ")) {
            String ids = ClaimCodec.required(values, "ids");
            if (!ids.matches("[0-9a-f]{4}:[0-9a-f]{4}")) {
                throw new IllegalArgumentException("invalid ids '" + ids + "'");
            }
            Map<String, String> interfaces = new TreeMap<>();
            for (Map.Entry<String, String> e : values.entrySet()) {
                if (e.getKey().startsWith(INTERFACE)) {
                    interfaces.put(e.getKey().substring(INTERFACE.length()), e.getValue());
                } else if (!e.getKey().equals("ids") && !e.getKey().equals("timeout-ms")) {
                    throw new IllegalArgumentException("unknown value '" + e.getKey() + "'");
                }
            }
            return new Device(resource.substring(4), Integer.parseInt(ids.substring(0, 4), 16), Integer.parseInt(ids.substring(5), 16),
                    interfaces, timeout);
        }
        if (resource.startsWith("pci ")) {
            return new Controller(new PciAddress(resource.substring(4)), ClaimCodec.required(values, "driver"), timeout);
        }
        throw new IllegalArgumentException("unknown usb-return resource '" + resource + "'");
    }
}
