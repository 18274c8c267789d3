package io.github.libvirthooks.features.engine;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The QEMU hook operations libvirt passes as the second argument, in lifecycle order. */
public enum HookOperation {
    PREPARE("prepare", true),
    START("start", true),
    STARTED("started", false),
    STOPPED("stopped", false),
    RELEASE("release", false),
    MIGRATE("migrate", true),
    RESTORE("restore", true),
    RECONNECT("reconnect", true),
    ATTACH("attach", false);

    private final String word;
    private final boolean abortsOnFailure;

    HookOperation(String word, boolean abortsOnFailure) {
        this.word = word;
        this.abortsOnFailure = abortsOnFailure;
    }

    /** The word libvirt uses. */
    public String word() {
        return word;
    }

    /** True when libvirt aborts the operation if the hook exits non-zero. */
    public boolean abortsOnFailure() {
        return abortsOnFailure;
    }

    /** True for the events after which the VM's QEMU is gone. */
    public boolean isStopPath() {
        return this == STOPPED || this == RELEASE;
    }

    /** Parses libvirt's word, rejecting anything else with the list of known words. */
    public static HookOperation parse(String word) {
        for (HookOperation op : values()) {
            if (op.word.equals(word)) {
                return op;
            }
        }
        throw new InvalidInvocationException("unknown hook operation '" + printable(word) + "'; expected one of "
                + Arrays.stream(values()).map(HookOperation::word).collect(Collectors.joining(", ")));
    }

    static String printable(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().limit(80).forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }
}
