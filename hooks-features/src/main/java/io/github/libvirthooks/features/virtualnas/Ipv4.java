package io.github.libvirthooks.features.virtualnas;

import io.github.libvirthooks.features.engine.FeatureException;

/**
 * An IPv4 address, parsed without any name lookup.
 *
 * @param bits the address, most significant octet first
 */
record Ipv4(int bits) {
    /** Parses dotted-quad text; anything else is refused. */
    static Ipv4 parse(String text) {
        String[] parts = text.strip().split("\\.", -1);
        if (parts.length != 4) {
            throw new FeatureException("'" + SmbConf.printable(text) + "' is not an IPv4 address");
        }
        int bits = 0;
        for (String p : parts) {
            if (!p.matches("0|[1-9][0-9]{0,2}") || Integer.parseInt(p) > 255) {
                throw new FeatureException("'" + SmbConf.printable(text) + "' is not an IPv4 address");
            }
            bits = (bits << 8) | Integer.parseInt(p);
        }
        return new Ipv4(bits);
    }

    /** The prefix length of a dotted netmask such as 255.255.255.0. */
    static int prefixOf(String netmask) {
        int mask = parse(netmask).bits;
        int prefix = Integer.bitCount(mask);
        if (prefix != 0 && mask != (0xffffffff << (32 - prefix))) {
            throw new FeatureException("netmask '" + netmask + "' is not contiguous");
        }
        return prefix;
    }

    /** The network address of this address under a prefix. */
    Ipv4 network(int prefix) {
        return new Ipv4(prefix == 0 ? 0 : bits & (0xffffffff << (32 - prefix)));
    }

    /** True for 127.0.0.0/8 and 0.0.0.0: a server must never be bound there for a guest. */
    boolean isLoopbackOrAny() {
        return (bits >>> 24) == 127 || bits == 0;
    }

    @Override
    public String toString() {
        return (bits >>> 24) + "." + ((bits >>> 16) & 0xff) + "." + ((bits >>> 8) & 0xff) + "." + (bits & 0xff);
    }
}
