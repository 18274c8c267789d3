package io.github.libvirthooks.sysfs.pci;

import io.github.libvirthooks.sysfs.HostRoot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A trigger write ({@code unbind}, {@code bind}, {@code drivers_probe}) with a time limit. A
 * driver's remove callback runs inside the {@code write(2)}, and some (NVIDIA's, while a process
 * holds the card) wait without end in an uninterruptible sleep. A thread of ours stuck there
 * would keep the whole hook process from exiting (a process is gone only when its last thread
 * is), and with it the pipes libvirtd reads until end of file: libvirtd would hang as well.
 * So the bytes are written by a child process ({@code tee}, with no stream of ours but a
 * private pipe), which the hook can leave behind: it is told to stop at the limit and never
 * waited for again. The write still goes through {@link HostRoot}, so its listeners (the
 * journal) see it first, in this process. Used by the PCI and USB driver files alike.
 */
public final class AbandonableWrite {
    /** What the child reports on a failed write is a line or two; more is not read. */
    private static final int MAX_ERROR = 4096;

    private AbandonableWrite() {
    }

    /**
     * Writes {@code value} to the trigger file {@code path} and waits at most {@code limit}.
     *
     * @throws KernelWriteTimeoutException when the write has not returned in time (it may still complete later)
     */
    public static void trigger(HostRoot host, String path, String value, Duration limit) {
        Objects.requireNonNull(limit, "limit");
        host.trigger(path, value, (file, bytes) -> writeInChild(path, value, file, bytes, limit));
    }

    private static void writeInChild(String path, String value, Path file, byte[] bytes, Duration limit) throws IOException {
        // tee writes what it reads in one write(2) per read: the value is far below a pipe's buffer.
        Process writer = new ProcessBuilder(List.of("tee", "--", file.toString()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        try (OutputStream in = writer.getOutputStream()) {
            in.write(bytes);
        }
        boolean returned;
        try {
            returned = writer.waitFor(Math.max(1, limit.toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            returned = false;
        }
        if (!returned) {
            // A write the kernel can still abandon (an interruptible wait) ends here; one in an
            // uninterruptible sleep ends when the kernel returns, and the process then dies at once.
            writer.destroyForcibly();
            closeQuietly(writer.getErrorStream());
            throw new KernelWriteTimeoutException(path, value, limit, writer.pid());
        }
        String error;
        try (InputStream err = writer.getErrorStream()) {
            error = new String(err.readNBytes(MAX_ERROR), StandardCharsets.UTF_8).strip();
        }
        int status = writer.exitValue();
        if (status > 128 && error.isEmpty()) {
            throw new IOException("the writer (tee) was ended by signal " + (status - 128));
        }
        if (status != 0) {
            throw new IOException(reason(error, file));
        }
    }

    /** tee says "tee: FILE: REASON"; the caller names the file itself. */
    private static String reason(String error, Path file) {
        String prefix = "tee: " + file + ": ";
        String line = error.lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("");
        if (line.startsWith(prefix)) {
            return line.substring(prefix.length());
        }
        return line.isEmpty() ? "the write failed" : line;
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // Nothing is read from an abandoned writer.
        }
    }
}
