package io.github.libvirthooks.sysfs.hugetlb;

import io.github.libvirthooks.sysfs.HostAccessException;

/**
 * The kernel does not offer what was asked: no hugepage support at all, no pages of the
 * requested size, or no such NUMA node. The message says which and what the host offers.
 */
public class HugePagesUnsupportedException extends HostAccessException {
    /** Creates the exception for the missing {@code path}. */
    public HugePagesUnsupportedException(String path, String message) {
        super(path, message);
    }
}
