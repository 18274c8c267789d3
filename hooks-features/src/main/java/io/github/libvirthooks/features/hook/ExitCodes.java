package io.github.libvirthooks.features.hook;

/**
 * The exit codes of {@code libvirt-hooks} and of the hook, as documented in the README: defined once, here.
 */
public final class ExitCodes {
    /** Done. */
    public static final int OK = 0;
    /** The command failed (for {@code hook}: libvirt aborts the VM's start); the message says why. */
    public static final int FAILED = 1;
    /** Bad command line or a hook invocation that is not libvirt's. */
    public static final int USAGE = 2;
    /** {@code doctor}: at least one check failed. */
    public static final int NOT_READY = 3;

    private ExitCodes() {
    }
}
