package io.github.libvirthooks.features.ddcutil;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * A stand-in {@code ddcutil} executable in a test's bin directory: a small shell script that
 * logs its argv and behaves like one monitor (its input kept in a file), or like ddcutil
 * without a monitor, or like a hung one. Run through the real process runner.
 */
final class StandInDdcutil {
    final Path bin;
    private final Path dir;

    StandInDdcutil(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.bin = Files.createDirectories(dir.resolve("bin"));
        Path script = bin.resolve("ddcutil");
        String d = dir.toString().replace("'", "'\\''");
        Files.writeString(script, """
                #!/bin/sh
                dir='%s'
                for a; do printf '%%s\\n' "$a"; done >> "$dir/argv.log"
                echo '----' >> "$dir/argv.log"
                [ -e "$dir/hang" ] && exec sleep 30
                if [ -e "$dir/no-monitor" ]; then
                  echo 'No /dev/i2c devices exist.' >&2
                  echo 'ddcutil requires module i2c-dev.' >&2
                  exit 1
                fi
                case " $* " in
                  *" getvcp "*)
                    [ -e "$dir/garbage" ] && { echo 'VCP 60 ERR'; exit 0; }
                    printf 'VCP 60 SNC x%%s\\n' "$(cat "$dir/input")" ;;
                  *" setvcp "*)
                    [ -e "$dir/refuse-set" ] && { echo 'Setting value failed. rc=-3001' >&2; exit 1; }
                    for last; do :; done
                    printf '%%s' "${last#0x}" > "$dir/input" ;;
                  *) echo "unexpected: $*" >&2; exit 2 ;;
                esac
                """.formatted(d), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        showing("0f");
    }

    /** The monitor shows this input (two hex digits). */
    StandInDdcutil showing(String hex) throws IOException {
        Files.writeString(dir.resolve("input"), hex);
        return this;
    }

    /** The input the monitor shows now. */
    String input() throws IOException {
        return Files.readString(dir.resolve("input")).strip();
    }

    /** Makes the next calls behave a given way: no-monitor, hang, garbage, refuse-set. */
    StandInDdcutil mode(String mode) throws IOException {
        Files.writeString(dir.resolve(mode), "");
        return this;
    }

    /** Every call so far, as argv without the executable. */
    List<List<String>> calls() throws IOException {
        List<List<String>> calls = new ArrayList<>();
        Path log = dir.resolve("argv.log");
        if (!Files.exists(log)) {
            return calls;
        }
        List<String> current = new ArrayList<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            if (line.equals("----")) {
                calls.add(current);
                current = new ArrayList<>();
            } else {
                current.add(line);
            }
        }
        return calls;
    }
}
