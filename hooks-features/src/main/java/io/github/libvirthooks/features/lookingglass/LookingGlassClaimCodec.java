package io.github.libvirthooks.features.lookingglass;

import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.lookingglass.LookingGlassClaim.DeviceOwner;
import io.github.libvirthooks.features.lookingglass.LookingGlassClaim.KvmfrModule;
import io.github.libvirthooks.features.lookingglass.LookingGlassClaim.ShmFile;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** The journal form of {@link LookingGlassClaim}s. */
final class LookingGlassClaimCodec implements ClaimCodec<LookingGlassClaim> {
    static final LookingGlassClaimCodec INSTANCE = new LookingGlassClaimCodec();

    @Override
    public String feature() {
        return LookingGlassFeature.NAME;
    }

    @Override
    public String resource(LookingGlassClaim claim) {
        return claim.resource();
    }

    @Override
    public Map<String, String> encode(LookingGlassClaim claim) {
        Map<String, String> v = new LinkedHashMap<>();
        if (claim instanceof ShmFile c) {
            v.put("size", String.valueOf(c.size()));
            v.put("uid", String.valueOf(c.uid()));
            v.put("gid", String.valueOf(c.gid()));
            v.put("created", String.valueOf(c.created()));
            v.put("inode", String.valueOf(c.inode()));
        } else if (claim instanceof KvmfrModule c) {
            v.put("size-mb", String.valueOf(c.sizeMb()));
            v.put("loaded-by-hooks", String.valueOf(c.loadedByHooks()));
            v.put("timeout-ms", String.valueOf(c.timeout().toMillis()));
        } else if (claim instanceof DeviceOwner c) {
            v.put("uid", String.valueOf(c.uid()));
            v.put("gid", String.valueOf(c.gid()));
            v.put("mode", String.format("%04o", c.mode()));
        }
        return v;
    }

    @Override
    public LookingGlassClaim decode(String resource, Map<String, String> values) {
        if (resource.startsWith("shm ")) {
            return new ShmFile(resource.substring(4), ClaimCodec.number(values, "size"), id(values, "uid"), id(values, "gid"),
                    bool(values, "created"), ClaimCodec.number(values, "inode"));
        }
        if (resource.equals("kvmfr")) {
            long ms = ClaimCodec.number(values, "timeout-ms");
            if (ms < 0 || ms > Duration.ofMinutes(10).toMillis()) {
                throw new IllegalArgumentException("timeout-ms " + ms + " out of range");
            }
            return new KvmfrModule(ClaimCodec.number(values, "size-mb"), bool(values, "loaded-by-hooks"), Duration.ofMillis(ms));
        }
        if (resource.startsWith("owner ")) {
            String mode = ClaimCodec.required(values, "mode");
            if (!mode.matches("[0-7]{4}")) {
                throw new IllegalArgumentException("mode '" + mode + "' is not four octal digits");
            }
            return new DeviceOwner(resource.substring(6), id(values, "uid"), id(values, "gid"), Integer.parseInt(mode, 8));
        }
        throw new IllegalArgumentException("unknown looking-glass resource '" + resource + "'");
    }

    private static int id(Map<String, String> values, String name) {
        long n = ClaimCodec.number(values, name);
        if (n < 0 || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " " + n + " out of range");
        }
        return (int) n;
    }

    private static boolean bool(Map<String, String> values, String name) {
        String v = ClaimCodec.required(values, name);
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException(name + "='" + v + "' is not true or false");
        }
        return Boolean.parseBoolean(v);
    }
}
