package io.github.libvirthooks.features.reliability;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Another hook process stuck while holding the host lock: locks {@code <state-dir>/lock},
 * prints {@code locked}, and holds it for {@code <seconds>} (or until killed).
 */
public final class LockHolderMain {
    private LockHolderMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        try (FileChannel channel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = channel.lock()) {
            if (args.length > 2) {
                // As a hook run describes itself there.
                channel.truncate(0);
                channel.write(java.nio.ByteBuffer.wrap((args[2] + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)), 0);
            }
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(Long.parseLong(args[1]) * 1000);
        }
    }
}
