package io.github.libvirthooks.deployment.lab;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One run of a lab script (argv list, never a shell string) with a hard time limit. Its
 * output (stdout and stderr together) is kept, optionally written to a log and echoed to
 * this JVM's stdout as it comes, so a long image build or boot shows progress in the
 * Maven log instead of going quiet for minutes.
 */
final class LabCommand {
    /**
     * What a run gave.
     *
     * @param exitCode the exit status; -1 when it was killed for taking too long
     * @param output   everything it printed
     * @param timedOut true when the time limit ended it
     */
    record Result(int exitCode, String output, boolean timedOut) {
    }

    private LabCommand() {
    }

    /**
     * Runs {@code argv} with {@code env} added to this JVM's environment and standard input
     * from {@code /dev/null}; kills it and every process it started once {@code timeout}
     * has passed.
     *
     * @param echoPrefix when present, each output line is printed to stdout after it
     * @param log        when present, the output is also written there
     */
    static Result run(List<String> argv, Map<String, String> env, Duration timeout,
                      Optional<String> echoPrefix, Optional<Path> log) {
        ProcessBuilder builder = new ProcessBuilder(argv)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().putAll(env);
        StringBuilder output = new StringBuilder();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + argv + ": " + e.getMessage(), e);
        }
        Thread reader = new Thread(() -> copyOutput(process, output, echoPrefix, log), "lab-output " + argv.get(0));
        reader.setDaemon(true);
        reader.start();
        boolean finished;
        try {
            finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
            reader.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new IllegalStateException("interrupted while waiting for " + argv, e);
        }
        synchronized (output) {
            return new Result(finished ? process.exitValue() : -1, output.toString(), !finished);
        }
    }

    private static void copyOutput(Process process, StringBuilder output, Optional<String> echoPrefix, Optional<Path> log) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             Writer file = log.isPresent() ? Files.newBufferedWriter(log.get(), StandardCharsets.UTF_8) : Writer.nullWriter()) {
            String line;
            while ((line = in.readLine()) != null) {
                synchronized (output) {
                    output.append(line).append('\n');
                }
                file.write(line);
                file.write('\n');
                file.flush();
                if (echoPrefix.isPresent()) {
                    System.out.println(echoPrefix.get() + line);
                }
            }
        } catch (IOException e) {
            synchronized (output) {
                output.append("(output lost: ").append(e.getMessage()).append(")\n");
            }
        }
    }
}
