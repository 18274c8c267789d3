package io.github.libvirthooks.features.script;

import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.engine.InvalidInvocationException;
import java.util.Optional;

/**
 * When a script runs: a libvirt operation and, optionally, its sub-operation, written as libvirt
 * does ({@code prepare}, {@code prepare begin}, {@code release end}).
 *
 * @param operation    the operation
 * @param subOperation {@code begin}, {@code end} or {@code -}; empty matches any
 */
public record ScriptEvent(HookOperation operation, Optional<String> subOperation) {
    /** The default event of a script: before QEMU's resources are allocated, where a failure can still abort. */
    public static final ScriptEvent PREPARE = new ScriptEvent(HookOperation.PREPARE, Optional.empty());

    /**
     * Parses {@code "<operation> [<sub-operation>]"}.
     *
     * @throws FeatureException naming the value and what is allowed
     */
    public static ScriptEvent parse(String text) {
        String[] words = text.strip().split("\\s+");
        try {
            if (words.length == 0 || words.length > 2 || words[0].isEmpty()) {
                throw new InvalidInvocationException("expected '<operation> [<sub-operation>]'");
            }
            HookOperation operation = HookOperation.parse(words[0]);
            if (words.length == 1) {
                return new ScriptEvent(operation, Optional.empty());
            }
            if (!words[1].equals("begin") && !words[1].equals("end") && !words[1].equals("-")) {
                throw new InvalidInvocationException("unknown sub-operation '" + words[1] + "'; expected begin, end or -");
            }
            return new ScriptEvent(operation, Optional.of(words[1]));
        } catch (InvalidInvocationException e) {
            throw new FeatureException("invalid script event '" + text + "': " + e.getMessage()
                    + " (e.g. 'prepare', 'started begin', 'release end')");
        }
    }

    /** True when libvirt's current event is this one. */
    public boolean matches(HookInvocation invocation) {
        return invocation.operation() == operation && subOperation.map(s -> s.equals(invocation.subOperation())).orElse(true);
    }

    @Override
    public String toString() {
        return operation.word() + subOperation.map(s -> " " + s).orElse("");
    }
}
