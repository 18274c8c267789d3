package io.github.libvirthooks.sysfs;

import java.io.IOException;

/**
 * Sees every write that goes through a {@link HostRoot}, before it reaches the kernel.
 *
 * <p>A journal records the intended {@link Change} here so that a crash between the
 * record and the write can still be undone; a test injects faults by throwing. Throwing
 * from {@link #beforeWrite} cancels the write: the host is untouched.
 */
public interface HostWriteListener {
    /** Called with the old value already read. Throw to refuse the write. */
    void beforeWrite(Change intended) throws IOException;

    /**
     * Called before a write to a trigger file ({@code drop_caches}, {@code compact_memory}),
     * which has no old value to record. Throw to refuse it.
     */
    default void beforeTrigger(String path, String value) throws IOException {
    }

    /** Called before a file or directory is created ({@link HostRoot#createFile}, {@link HostRoot#createDirectory}). Throw to refuse. */
    default void beforeCreate(String path) throws IOException {
    }

    /** Called before a file or directory tree is removed ({@link HostRoot#removeTree}). Throw to refuse. */
    default void beforeRemove(String path) throws IOException {
    }

    /**
     * Called before a file's owner, group and mode change ({@link HostRoot#setOwnership}): the
     * change's values are {@code uid:gid mode} in octal ({@code 0:0 0600}). Throw to refuse.
     */
    default void beforeOwnership(Change intended) throws IOException {
    }

    /** Called after the kernel accepted the value. */
    default void afterWrite(Change done) {
    }

    /**
     * Called after a creation, a removal or an ownership change took effect, with its path (a
     * write has {@link #afterWrite}).
     */
    default void afterChange(String path) {
    }

    /** A listener that does nothing. */
    HostWriteListener NONE = new HostWriteListener() {
        // A class, not a lambda: made in every hook process, where a lambda costs a call-site bootstrap.
        @Override
        public void beforeWrite(Change intended) {
        }
    };
}
