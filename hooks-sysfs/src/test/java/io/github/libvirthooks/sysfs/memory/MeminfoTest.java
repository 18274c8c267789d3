package io.github.libvirthooks.sysfs.memory;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class MeminfoTest {
    private static final String SAMPLE = """
            MemTotal:       24683656 kB
            MemFree:        24413304 kB
            MemAvailable:   24404012 kB
            Buffers:            4876 kB
            Active(anon):      12000 kB
            AnonHugePages:         0 kB
            HugePages_Total:     512
            HugePages_Free:      500
            HugePages_Rsvd:       10
            HugePages_Surp:        2
            Hugepagesize:       2048 kB
            Hugetlb:         1048576 kB
            DirectMap4k:      182132 kB
            """;

    @TempDir
    Path root;

    @Test
    void parsesSizesAsBytesAndCountsAsPages() {
        Meminfo info = Meminfo.parse(SAMPLE);

        assertThat(info).isEqualTo(new Meminfo(24683656L * 1024, 24413304L * 1024, 24404012L * 1024,
                512, 500, 10, 2, 2L << 20));
    }

    @Test
    void kernelWithoutHugetlbHasZeroHugepages() {
        Meminfo info = Meminfo.parse("MemTotal: 100 kB\nMemFree: 50 kB\nMemAvailable: 60 kB\n");

        assertThat(info.hugePagesTotal()).isZero();
        assertThat(info.hugepagesize()).isZero();
    }

    @Test
    void garbageLineIsRejectedByNumberAndText() {
        String text = SAMPLE.replace("Buffers:            4876 kB", "Buffers: lots");

        assertThatThrownBy(() -> Meminfo.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("line 4 'Buffers: lots': expected 'Key: number' or 'Key: number kB'");
    }

    @Test
    void blankLineInTheMiddleIsGarbage() {
        assertThatThrownBy(() -> Meminfo.parse("MemTotal: 1 kB\n\nMemFree: 1 kB\n"))
                .hasMessageStartingWith("line 2 '':");
    }

    @Test
    void wrongUnitIsRejected() {
        assertThatThrownBy(() -> Meminfo.parse(SAMPLE.replace("MemTotal:       24683656 kB", "MemTotal: 24683656")))
                .hasMessage("line 1 'MemTotal: 24683656': expected a size in kB");
        assertThatThrownBy(() -> Meminfo.parse(SAMPLE.replace("HugePages_Free:      500", "HugePages_Free: 500 kB")))
                .hasMessage("line 8 'HugePages_Free: 500 kB': expected a page count without unit");
    }

    @Test
    void duplicateAndOverflowAreRejected() {
        assertThatThrownBy(() -> Meminfo.parse(SAMPLE + "MemFree: 1 kB\n"))
                .hasMessage("line 14 'MemFree: 1 kB': MemFree appears twice");
        assertThatThrownBy(() -> Meminfo.parse(SAMPLE.replace("24683656", "9223372036854775807")))
                .hasMessageContaining("number too large");
    }

    @Test
    void missingMemAvailableIsNamed() {
        assertThatThrownBy(() -> Meminfo.parse("MemTotal: 100 kB\nMemFree: 50 kB\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("no MemAvailable line");
    }

    @Test
    void readFromHostNamesTheFileOnError() {
        ProcTree.file(root, Meminfo.PATH, "MemTotal 12\n");

        assertThatThrownBy(() -> Meminfo.read(HostRoot.at(root)))
                .isInstanceOf(HostAccessException.class)
                .hasMessage("/proc/meminfo: line 1 'MemTotal 12': expected 'Key: number' or 'Key: number kB'");
    }

    @Test
    void readFromHost() {
        ProcTree.file(root, Meminfo.PATH, SAMPLE);

        assertThat(Meminfo.read(HostRoot.at(root)).hugePagesRsvd()).isEqualTo(10);
    }

    @Test
    void thisHostsMeminfoParses() {
        assumeTrue(Files.isReadable(Path.of("/proc/meminfo")), "no /proc/meminfo");

        Meminfo info = Meminfo.read(HostRoot.system());

        assertThat(info.memTotal()).isPositive();
        assertThat(info.memAvailable()).isLessThanOrEqualTo(info.memTotal());
    }

    @Test
    void aLineIsReadAsTheShapeKeyNumberKb() {
        java.util.regex.Pattern shape = java.util.regex.Pattern.compile("([A-Za-z0-9_()]+):\\s*(\\d+)(?:\\s+(kB))?\\s*");
        java.util.Random random = new java.util.Random(21);
        java.util.List<String> lines = new java.util.ArrayList<>(java.util.List.of("MemTotal:       16318852 kB", "HugePages_Total:       0",
                "Active(anon):  12 kB", "X:1", "X:1kB", "X: 1 kB ", "X: 1 kBx", ":1", "X:", "X: kB", "X:\t1\tkB\t", "X: 1 kB kB",
                "X y: 1", "X: 1 2", "X: \u000b1\f kB\r"));
        String alphabet = "Ab_(): 019kB\t\u000b-";
        for (int i = 0; i < 30_000; i++) {
            StringBuilder line = new StringBuilder(random.nextBoolean() ? "Key:" : "");
            for (int j = random.nextInt(10); j > 0; j--) {
                line.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            lines.add(line.toString());
        }
        for (String line : lines) {
            java.util.regex.Matcher m = shape.matcher(line);
            Meminfo.Line read = Meminfo.Line.of(line);
            if (!m.matches()) {
                assertThat(read).as(line).isNull();
            } else {
                assertThat(read).as(line).isNotNull();
                assertThat(read.key).as(line).isEqualTo(m.group(1));
                assertThat(read.number).as(line).isEqualTo(m.group(2));
                assertThat(read.kilobytes).as(line).isEqualTo(m.group(3) != null);
            }
        }
    }
}
