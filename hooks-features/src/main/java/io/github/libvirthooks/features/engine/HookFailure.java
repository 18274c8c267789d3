package io.github.libvirthooks.features.engine;

/**
 * A hook run failed and was rolled back; the message is the one line libvirt shows the
 * user. {@link #abortsVm()} tells whether the hook must exit non-zero.
 */
public class HookFailure extends RuntimeException {
    private final boolean abortsVm;

    public HookFailure(String message, boolean abortsVm, Throwable cause) {
        super(message, cause);
        this.abortsVm = abortsVm;
    }

    public boolean abortsVm() {
        return abortsVm;
    }
}
