package io.github.libvirthooks.features.ddcutil;

import io.github.libvirthooks.sysfs.exec.CommandException;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One monitor's input source (VCP 0x60) through the {@code ddcutil} command: read with
 * {@code getvcp 60 --brief}, set with {@code setvcp 60 VALUE}. Always an argument list with the
 * executable's absolute path, always bounded in time.
 */
final class Ddcutil {
    /** {@code VCP 60 SNC x0f}: a simple non-continuous feature, its value in hex. */
    private static final Pattern BRIEF = Pattern.compile("(?m)^VCP\\s+60\\s+SNC\\s+x([0-9a-fA-F]{1,2})\\s*$");
    /** The directories searched when the hook's PATH is empty (libvirtd gives hooks a minimal environment). */
    static final String FALLBACK_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final CommandRunner commands;
    private final Path executable;
    private final List<String> display;
    private final Optional<String> sleepMultiplier;
    private final boolean verify;
    private final Duration timeout;

    Ddcutil(CommandRunner commands, Path executable, DdcutilOptions options) {
        this.commands = commands;
        this.executable = executable;
        this.display = options.display();
        this.sleepMultiplier = options.sleepMultiplier();
        this.verify = options.verify();
        this.timeout = options.timeout();
    }

    /** The first executable {@code ddcutil} in {@code searchPath} (a PATH value), if any. */
    static Optional<Path> find(String searchPath) {
        String path = searchPath == null || searchPath.isBlank() ? FALLBACK_PATH : searchPath;
        for (String dir : path.split(":")) {
            if (dir.isEmpty() || !dir.startsWith("/")) {
                // A relative PATH entry would make the result depend on the working directory.
                continue;
            }
            Path candidate = Path.of(dir, "ddcutil");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The input the monitor shows now. */
    InputSource currentInput() {
        List<String> argv = argv("getvcp", "60", "--brief");
        String out = run(argv, "read the input of", true).stdout();
        Matcher m = BRIEF.matcher(out);
        if (!m.find()) {
            String shown = out.strip().isEmpty() ? "nothing" : "'" + firstLine(out.strip()) + "'";
            throw new DdcutilException("ddcutil getvcp 60 printed " + shown + " instead of 'VCP 60 SNC x..' for " + monitor()
                    + "; the monitor may not support input switching over DDC/CI (turn DDC/CI on in its menu)", false, null);
        }
        return new InputSource(Integer.parseInt(m.group(1), 16));
    }

    /** Switches the monitor to {@code input}. */
    void setInput(InputSource input) {
        List<String> argv = new ArrayList<>();
        if (!verify) {
            // Many monitors stop answering on DDC once they show another input, so reading back fails after a good switch.
            argv.add("--noverify");
        }
        argv.addAll(List.of("setvcp", "60", input.hex()));
        run(argv(argv.toArray(String[]::new)), "switch the input of", false);
    }

    String monitor() {
        return display.isEmpty() ? "the first display" : String.join(" ", display);
    }

    private List<String> argv(String... command) {
        List<String> argv = new ArrayList<>();
        argv.add(executable.toString());
        argv.addAll(display);
        sleepMultiplier.ifPresent(m -> argv.add("--sleep-multiplier=" + m));
        argv.addAll(List.of(command));
        return argv;
    }

    /** @param query true for a command that only reads the monitor (a dry run runs it) */
    private CommandResult run(List<String> argv, String what, boolean query) {
        CommandResult result;
        try {
            result = query ? commands.query(argv, timeout) : commands.run(argv, timeout);
        } catch (CommandException e) {
            boolean missing = e.getMessage() != null && e.getMessage().startsWith("cannot run");
            throw new DdcutilException("cannot " + what + " " + monitor() + ": " + e.getMessage(), missing, e);
        }
        if (!result.succeeded()) {
            String detail = result.stderr().isBlank() ? result.stdout().strip() : result.stderr().strip();
            throw new DdcutilException("cannot " + what + " " + monitor() + ": ddcutil exited with status " + result.exitCode()
                    + (detail.isEmpty() ? "" : ": " + oneLine(detail)) + hint(detail), false, null);
        }
        return result;
    }

    /** ddcutil's own first lines say what is wrong; keep them on one line. */
    private static String oneLine(String detail) {
        String[] lines = detail.split("\n");
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.min(2, lines.length); i++) {
            out.append(i == 0 ? "" : " ").append(lines[i].strip());
        }
        return out.toString();
    }

    private static String hint(String detail) {
        if (detail.contains("i2c-dev") || detail.contains("/dev/i2c")) {
            return " (load the i2c-dev module: modprobe i2c-dev, and list it in /etc/modules-load.d/)";
        }
        if (detail.contains("not found") || detail.contains("Display not found") || detail.contains("No displays")) {
            return " (check the display, bus or model with 'ddcutil detect')";
        }
        return "";
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
