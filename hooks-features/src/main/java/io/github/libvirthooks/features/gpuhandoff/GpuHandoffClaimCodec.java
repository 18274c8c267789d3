package io.github.libvirthooks.features.gpuhandoff;

import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.gpuhandoff.GpuHandoffClaim.ConsolesUnbound;
import io.github.libvirthooks.features.gpuhandoff.GpuHandoffClaim.DisplayManagerStopped;
import io.github.libvirthooks.features.gpuhandoff.GpuHandoffClaim.DriverUnbound;
import io.github.libvirthooks.features.gpuhandoff.GpuHandoffClaim.FramebuffersUnbound;
import io.github.libvirthooks.features.gpuhandoff.GpuHandoffClaim.ModulesUnloaded;
import io.github.libvirthooks.features.gpuhandoff.GpuHandoffClaim.SessionsStopped;
import io.github.libvirthooks.features.gpuhandoff.GpuHandoffClaim.VfioBound;
import io.github.libvirthooks.sysfs.console.PlatformFramebuffer;
import io.github.libvirthooks.sysfs.pci.PciAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The journal form of {@link GpuHandoffClaim}s: the resource says which step, the values what it took. */
final class GpuHandoffClaimCodec implements ClaimCodec<GpuHandoffClaim> {
    static final GpuHandoffClaimCodec INSTANCE = new GpuHandoffClaimCodec();

    @Override
    public String feature() {
        return GpuHandoffFeature.NAME;
    }

    @Override
    public String resource(GpuHandoffClaim claim) {
        return claim.resource();
    }

    @Override
    public Map<String, String> encode(GpuHandoffClaim claim) {
        Map<String, String> v = new LinkedHashMap<>();
        if (claim instanceof DisplayManagerStopped c) {
            v.put("unit", c.unit());
            v.put("timeout-ms", String.valueOf(c.timeout().toMillis()));
        } else if (claim instanceof SessionsStopped c) {
            v.put("units", String.join(",", c.units()));
            v.put("timeout-ms", String.valueOf(c.timeout().toMillis()));
        } else if (claim instanceof ConsolesUnbound c) {
            v.put("consoles", String.join(",", c.consoles()));
        } else if (claim instanceof FramebuffersUnbound c) {
            v.put("framebuffers", String.join(",", c.framebuffers().stream().map(PlatformFramebuffer::toString).toList()));
        } else if (claim instanceof DriverUnbound c) {
            v.put("device", c.device().text());
            v.put("driver", c.driver());
            v.put("timeout-ms", String.valueOf(c.timeout().toMillis()));
            v.put("done", String.valueOf(c.done()));
        } else if (claim instanceof VfioBound c) {
            v.put("device", c.device().text());
            v.put("timeout-ms", String.valueOf(c.timeout().toMillis()));
        } else if (claim instanceof ModulesUnloaded c) {
            v.put("modules", String.join(",", c.modules()));
            v.put("unloaded", String.valueOf(c.unloaded()));
            v.put("timeout-ms", String.valueOf(c.timeout().toMillis()));
        }
        return v;
    }

    @Override
    public GpuHandoffClaim decode(String resource, Map<String, String> values) {
        GpuHandoffClaim claim = switch (resource.startsWith("driver ") ? "driver" : resource.startsWith("vfio-pci ") ? "vfio-pci"
                : resource) {
            case "display-manager" -> new DisplayManagerStopped(ClaimCodec.required(values, "unit"), timeout(values));
            case "sessions" -> new SessionsStopped(list(values, "units"), timeout(values));
            case "vtconsoles" -> new ConsolesUnbound(list(values, "consoles"));
            case "framebuffers" -> new FramebuffersUnbound(list(values, "framebuffers").stream().map(PlatformFramebuffer::parse).toList());
            case "driver" -> new DriverUnbound(new PciAddress(ClaimCodec.required(values, "device")),
                    ClaimCodec.required(values, "driver"), timeout(values), Boolean.parseBoolean(ClaimCodec.required(values, "done")));
            case "vfio-pci" -> new VfioBound(new PciAddress(ClaimCodec.required(values, "device")), timeout(values));
            case "modules" -> new ModulesUnloaded(list(values, "modules"), (int) ClaimCodec.number(values, "unloaded"), timeout(values));
            default -> throw new IllegalArgumentException("unknown gpu-handoff step '" + resource + "'");
        };
        if (!claim.resource().equals(resource)) {
            throw new IllegalArgumentException("claim on " + resource + " names another device");
        }
        return claim;
    }

    private static Duration timeout(Map<String, String> values) {
        long ms = ClaimCodec.number(values, "timeout-ms");
        if (ms < 1 || ms > Duration.ofMinutes(10).toMillis()) {
            throw new IllegalArgumentException("timeout-ms " + ms + " out of range");
        }
        return Duration.ofMillis(ms);
    }

    private static List<String> list(Map<String, String> values, String name) {
        String text = ClaimCodec.required(values, name);
        return text.isEmpty() ? List.of() : Arrays.asList(text.split(",", -1));
    }
}
