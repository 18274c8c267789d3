package io.github.libvirthooks.features.script;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A script's output is bounded while it runs, and the log is trimmed without reading it whole (issue 16). */
class ProcessScriptRunnerTest {
    @TempDir
    Path tmp;

    @Test
    void aScriptThatPrintsWithoutEndCannotGrowItsLogPastTheCapAndIsNotBlockedByIt() throws IOException {
        Path script = script("flood.sh", "head -c 5000000 /dev/zero | tr '\\0' x; echo; echo last words");
        Path log = tmp.resolve("logs/vm.log");

        ScriptResult result = run(script, log);

        assertThat(result.succeeded()).as(result.toString()).isTrue();
        assertThat(Files.size(log)).isLessThan(ProcessScriptRunner.MAX_RUN_OUTPUT_BYTES + 4096);
        assertThat(Files.readString(log, StandardCharsets.UTF_8)).contains("--- output cut: " + ProcessScriptRunner.MAX_RUN_OUTPUT_BYTES
                + " bytes kept, ").contains("--- exit 0 after ");
    }

    @Test
    void aHugeLogFromBeforeIsTrimmedToItsTail() throws IOException {
        Path log = Files.createDirectories(tmp.resolve("logs")).resolve("vm.log");
        byte[] old = new byte[20 << 20];
        java.util.Arrays.fill(old, (byte) 'o');
        byte[] end = "the old end\n".getBytes(StandardCharsets.UTF_8);
        System.arraycopy(end, 0, old, old.length - end.length, end.length);
        Files.write(log, old);

        run(script("hello.sh", "echo hello"), log);

        String text = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(Files.size(log)).isLessThan(ProcessScriptRunner.MAX_LOG_BYTES / 2 + 4096);
        assertThat(text).contains("the old end\n--- ").contains("hello\n--- exit 0");
    }

    private ScriptResult run(Path script, Path log) {
        return new ProcessScriptRunner(CommandRunner.system()).run(new ScriptCall(List.of(script.toString()), Map.of(), new byte[0],
                Duration.ofSeconds(30), log, tmp.resolve("state")));
    }

    private Path script(String name, String body) throws IOException {
        Path file = tmp.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }
}
