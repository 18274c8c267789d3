package io.github.libvirthooks.features.virtualnas;

import io.github.libvirthooks.features.engine.FeatureException;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code smb.conf} of one VM's private {@code smbd}: one share, served only on the libvirt
 * network's host address and only to that network's subnet, with its own pid, lock, state,
 * cache and private directories so that it never touches the host's own Samba.
 *
 * <p>smb.conf has no quoting: a value runs to the end of its line, a trailing backslash joins
 * lines, {@code %} starts a substitution and a {@code [} line starts a section. So values are
 * not escaped but refused when they hold anything that could change the file's meaning.
 *
 * @param runDir    the server's own directory (real path): pid, lock, state, cache, private, log
 * @param address   the host's IPv4 address on the libvirt network
 * @param prefix    that network's prefix length
 * @param share     the share name
 * @param sharePath the directory served (real path)
 * @param readOnly  true for a read-only share
 * @param smb1      true to allow SMB1 and NTLMv1 (legacy guests)
 * @param user      the host user files are read and written as
 */
record SmbConf(String runDir, Ipv4 address, int prefix, String share, String sharePath, boolean readOnly, boolean smb1,
        String user) {

    /** Share names Samba gives a meaning of its own. */
    private static final Set<String> RESERVED = Set.of("global", "homes", "printers", "print$", "ipc$");

    SmbConf {
        checkPath(runDir);
        checkPath(sharePath);
        checkShareName(share);
        if (prefix < 8 || prefix > 30) {
            throw new FeatureException("network prefix /" + prefix + " is not a libvirt virtual network's (8..30)");
        }
        if (!user.matches("[a-z_][a-z0-9_-]{0,31}")) {
            throw new FeatureException("invalid user '" + user + "'");
        }
    }

    /** The configuration file's text. */
    String render() {
        StringBuilder out = new StringBuilder();
        out.append("# Written by libvirt-hooks virtual-nas at every VM start; edits are lost.\n");
        out.append("# One share, on one libvirt network only, with state of its own.\n");
        out.append("[global]\n");
        line(out, "server role", "standalone server");
        line(out, "workgroup", "WORKGROUP");
        line(out, "server string", "libvirt-hooks virtual-nas");
        line(out, "interfaces", address + "/" + prefix);
        line(out, "bind interfaces only", "yes");
        // smbd binds the bridge address only, but Linux accepts packets for any local address on any
        // interface: only the VM network's own subnet may connect.
        line(out, "hosts allow", address.network(prefix) + "/" + prefix);
        line(out, "hosts deny", "0.0.0.0/0");
        line(out, "smb ports", "445");
        line(out, "disable netbios", "yes");
        line(out, "server min protocol", smb1 ? "NT1" : "SMB2_02");
        line(out, "ntlm auth", smb1 ? "ntlmv1-permitted" : "ntlmv2-only");
        line(out, "map to guest", "bad user");
        line(out, "guest account", user);
        line(out, "load printers", "no");
        line(out, "printing", "bsd");
        line(out, "printcap name", "/dev/null");
        line(out, "disable spoolss", "yes");
        line(out, "usershare path", "");
        line(out, "registry shares", "no");
        line(out, "include system krb5 conf", "no");
        line(out, "smb1 unix extensions", "no");
        line(out, "allow insecure wide links", "no");
        line(out, "pid directory", runDir + "/pid");
        line(out, "lock directory", runDir + "/lock");
        line(out, "state directory", runDir + "/state");
        line(out, "cache directory", runDir + "/cache");
        line(out, "private dir", runDir + "/private");
        line(out, "ncalrpc dir", runDir + "/ncalrpc");
        line(out, "binddns dir", runDir + "/bind-dns");
        line(out, "passdb backend", "tdbsam:" + runDir + "/private/passdb.tdb");
        line(out, "logging", "file");
        line(out, "log file", runDir + "/log.smbd");
        line(out, "max log size", "1000");
        out.append("\n[").append(share).append("]\n");
        line(out, "path", sharePath);
        line(out, "read only", readOnly ? "yes" : "no");
        line(out, "guest ok", "yes");
        line(out, "guest only", "yes");
        line(out, "force user", user);
        line(out, "browseable", "yes");
        // Links inside the share work; links leading out of it are refused.
        line(out, "follow symlinks", "yes");
        line(out, "wide links", "no");
        if (!readOnly) {
            line(out, "create mask", "0664");
            line(out, "directory mask", "0775");
        }
        return out.toString();
    }

    /** The directories the server needs under {@link #runDir}. */
    static final java.util.List<String> RUN_SUBDIRS = java.util.List.of("pid", "lock", "state", "cache", "private", "ncalrpc", "bind-dns");

    /** The pid file smbd writes (named after the daemon, whatever the configuration file is called). */
    String pidFile() {
        return runDir + "/pid/smbd.pid";
    }

    private static void line(StringBuilder out, String key, String value) {
        out.append('\t').append(key).append(" = ").append(value).append('\n');
    }

    /**
     * Refuses a path smb.conf cannot hold as it is: not absolute, control characters (a newline
     * would start a new parameter), quotes, {@code %} (substitutions), backslashes (line
     * continuation), or blanks at either end (Samba strips them).
     */
    static void checkPath(String path) {
        if (!path.startsWith("/") || path.length() > 1024) {
            throw new FeatureException("invalid virtual-nas path '" + printable(path) + "': an absolute host path is needed");
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '%' || c == '\\') {
                throw new FeatureException("virtual-nas path '" + printable(path) + "' holds " + describe(c)
                        + ", which smb.conf cannot carry safely; rename the directory or serve a parent without it");
            }
        }
        if (!path.equals(path.strip())) {
            throw new FeatureException("virtual-nas path '" + printable(path) + "' ends in blanks, which Samba would strip; rename it");
        }
    }

    /** Share names: letters, digits, {@code _ . -}, up to 80, not one Samba reserves. */
    static void checkShareName(String share) {
        if (!share.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,79}") || RESERVED.contains(share.toLowerCase(Locale.ROOT))) {
            throw new FeatureException("invalid virtual-nas share '" + printable(share) + "': letters, digits, _ . - (up to 80,"
                    + " 12 or fewer for Windows XP), not global, homes or printers");
        }
    }

    private static String describe(char c) {
        return switch (c) {
            case '\n' -> "a newline";
            case '"', '\'' -> "a quote";
            case '%' -> "'%' (Samba substitutes %-macros)";
            case '\\' -> "a backslash";
            default -> String.format(Locale.ROOT, "the control character 0x%02x", (int) c);
        };
    }

    static String printable(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().limit(200).forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format(Locale.ROOT, "\\x%02x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }
}
