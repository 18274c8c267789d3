package io.github.libvirthooks.sysfs.account;

import io.github.libvirthooks.sysfs.HostRoot;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Users and groups by name, from the host root's {@code /etc/passwd} and {@code /etc/group}
 * (read through {@link HostRoot}, so a fake tree has its own), or given as numbers. Accounts
 * that only a directory service knows (LDAP, systemd-homed) are given by number.
 */
public final class LocalAccounts {
    public static final String PASSWD = "/etc/passwd";
    public static final String GROUP = "/etc/group";
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,31}\\$?");
    private static final Pattern NUMBER = Pattern.compile("[0-9]{1,9}");
    private static final int MAX_BYTES = 1 << 20;

    private final HostRoot host;

    public LocalAccounts(HostRoot host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    /** True for a user or group name as {@code useradd} takes it, or a number. */
    public static boolean isAccount(String name) {
        return name != null && (NAME.matcher(name).matches() || NUMBER.matcher(name).matches());
    }

    /** The uid of {@code user} (a name in {@code /etc/passwd}, or a number); empty when unknown. */
    public OptionalInt uid(String user) {
        return id(PASSWD, user);
    }

    /** The gid of {@code group} (a name in {@code /etc/group}, or a number); empty when unknown. */
    public OptionalInt gid(String group) {
        return id(GROUP, group);
    }

    private OptionalInt id(String file, String name) {
        if (!isAccount(name)) {
            return OptionalInt.empty();
        }
        if (NUMBER.matcher(name).matches()) {
            return OptionalInt.of(Integer.parseInt(name));
        }
        String text = host.readIfExists(file).orElse("");
        if (text.length() > MAX_BYTES) {
            return OptionalInt.empty();
        }
        for (String line : text.split("\n")) {
            String[] f = line.split(":", -1);
            if (f.length >= 3 && f[0].equals(name) && NUMBER.matcher(f[2]).matches()) {
                return OptionalInt.of(Integer.parseInt(f[2]));
            }
        }
        return OptionalInt.empty();
    }
}
