package io.github.libvirthooks.features.engine;

import java.util.List;
import java.util.Objects;

/**
 * One run of the hook as libvirt makes it: {@code qemu <vm> <operation> <sub-operation> <extra>}.
 *
 * @param object       the hook object, always {@code qemu} here
 * @param vmName       the domain name: data, never a path or a command
 * @param operation    what libvirt is doing
 * @param subOperation {@code begin}, {@code end} or {@code -}
 * @param extra        the extra argument ({@code -} when libvirt has none)
 */
public record HookInvocation(String object, String vmName, HookOperation operation, String subOperation, String extra) {
    /** libvirt limits nothing much, but a name longer than this is not a real domain. */
    public static final int MAX_NAME_LENGTH = 1024;

    public HookInvocation {
        Objects.requireNonNull(object, "object");
        Objects.requireNonNull(vmName, "vmName");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(subOperation, "subOperation");
        Objects.requireNonNull(extra, "extra");
    }

    /**
     * Parses libvirt's argv (without the program name): object, VM name, operation,
     * sub-operation and an optional extra argument.
     */
    public static HookInvocation parse(List<String> args) {
        if (args.size() < 4 || args.size() > 5) {
            throw new InvalidInvocationException("expected: qemu <vm-name> <operation> <sub-operation> [extra], got "
                    + args.size() + " argument(s)");
        }
        String object = args.get(0);
        if (!object.equals("qemu")) {
            throw new InvalidInvocationException("unsupported hook object '" + HookOperation.printable(object)
                    + "'; libvirt-hooks handles only 'qemu'");
        }
        String name = args.get(1);
        validateName(name);
        HookOperation operation = HookOperation.parse(args.get(2));
        String sub = args.get(3);
        if (!sub.equals("begin") && !sub.equals("end") && !sub.equals("-")) {
            throw new InvalidInvocationException("unknown sub-operation '" + HookOperation.printable(sub)
                    + "'; expected begin, end or -");
        }
        String extra = args.size() == 5 ? args.get(4) : "-";
        return new HookInvocation(object, name, operation, sub, extra);
    }

    /** Rejects names that libvirt itself would never pass. */
    public static void validateName(String name) {
        if (name.isEmpty()) {
            throw new InvalidInvocationException("empty VM name");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new InvalidInvocationException("VM name longer than " + MAX_NAME_LENGTH + " characters");
        }
        if (name.indexOf('\0') >= 0 || name.indexOf('/') >= 0) {
            throw new InvalidInvocationException("invalid VM name '" + HookOperation.printable(name)
                    + "': libvirt names contain no '/' and no NUL");
        }
    }

    /** The event as libvirt's words, e.g. {@code prepare begin}. */
    public String event() {
        return operation.word() + " " + subOperation;
    }
}
