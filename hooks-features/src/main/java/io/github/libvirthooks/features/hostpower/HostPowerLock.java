package io.github.libvirthooks.features.hostpower;

import io.github.libvirthooks.sysfs.hugetlb.Sleeper;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Serialises the host sleep and shutdown handlers. Deliberately not the hook's host lock: these
 * handlers call virsh, which runs the QEMU hook (a managed save or shutdown ends in
 * {@code release}), and that hook must be able to take its own lock meanwhile.
 */
final class HostPowerLock implements AutoCloseable {
    static final String FILE = "host-power.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private HostPowerLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static HostPowerLock take(Path stateDir, Duration timeout, Clock clock, Sleeper sleeper) {
        Path file = stateDir.resolve(FILE);
        Instant deadline = clock.instant().plus(timeout);
        try {
            Files.createDirectories(stateDir);
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            while (true) {
                FileLock lock = channel.tryLock();
                if (lock != null) {
                    return new HostPowerLock(channel, lock);
                }
                if (!clock.instant().isBefore(deadline)) {
                    channel.close();
                    throw new HostPowerException("another host-sleep or host-shutdown run holds " + file + "; check 'ps' for a stuck"
                            + " libvirt-hooks process");
                }
                sleeper.sleep(Duration.ofMillis(100));
            }
        } catch (IOException e) {
            throw new HostPowerException("cannot lock " + file + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostPowerException("interrupted while waiting for " + file, e);
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // Closing the channel releases the lock in any case.
        }
    }
}
