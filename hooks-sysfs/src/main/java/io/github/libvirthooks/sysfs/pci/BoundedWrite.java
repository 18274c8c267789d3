package io.github.libvirthooks.sysfs.pci;

import io.github.libvirthooks.sysfs.HostRoot;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A trigger write ({@code unbind}, {@code bind}, {@code drivers_probe}) with a time limit. A
 * driver's remove callback runs inside the {@code write(2)}, and some (NVIDIA's, while a process
 * holds the card) wait without end; a thread blocked in the kernel cannot be interrupted, so the
 * write runs on a daemon thread of its own and the caller stops waiting after the limit. The
 * write still goes through {@link HostRoot}, so its listeners (the journal) see it first. Used
 * by the PCI and USB driver files alike.
 */
public final class BoundedWrite {
    private BoundedWrite() {
    }

    /**
     * Writes {@code value} to the trigger file {@code path} and waits at most {@code limit}.
     *
     * @throws KernelWriteTimeoutException when the write has not returned in time (it may still complete later)
     */
    public static void trigger(HostRoot host, String path, String value, Duration limit) {
        Objects.requireNonNull(limit, "limit");
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread writer = new Thread(() -> {
            try {
                host.trigger(path, value);
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        }, "kernel write " + path);
        // A thread stuck in the kernel must not keep the hook's JVM alive once the hook has reported.
        writer.setDaemon(true);
        writer.start();
        try {
            done.get(Math.max(1, limit.toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new KernelWriteTimeoutException(path, value, limit);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KernelWriteTimeoutException(path, value, limit);
        }
    }
}
