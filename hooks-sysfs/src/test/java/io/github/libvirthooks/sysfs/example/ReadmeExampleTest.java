package io.github.libvirthooks.sysfs.example;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's "Using hooks-sysfs in your own tool" example is this compiled class, and it works. */
class ReadmeExampleTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Path SOURCE = Path.of("src/test/java/io/github/libvirthooks/sysfs/example/ReserveForMyTool.java");

    @TempDir
    Path root;

    @Test
    void theReadmeShowsExactlyTheCompiledExample() throws IOException {
        String source = Files.readString(SOURCE);
        String example = source.substring(source.indexOf("// README-EXAMPLE-BEGIN\n") + "// README-EXAMPLE-BEGIN\n".length(),
                source.indexOf("// README-EXAMPLE-END"));
        String readme = Files.readString(README);
        String section = readme.substring(readme.indexOf("## Using hooks-sysfs in your own tool"));
        String block = section.substring(section.indexOf("```java\n") + "```java\n".length());
        block = block.substring(0, block.indexOf("```"));

        assertThat(block).isEqualTo(example);
    }

    @Test
    void theExampleRunsOnAFakeHostAndLeavesItAsFound() throws IOException {
        String pool = "sys/kernel/mm/hugepages/hugepages-2048kB/";
        Map<String, String> files = Map.of(
                pool + "nr_hugepages", "4\n",
                pool + "free_hugepages", "4\n",
                pool + "resv_hugepages", "0\n",
                pool + "surplus_hugepages", "0\n",
                pool + "nr_overcommit_hugepages", "0\n",
                "proc/irq/default_smp_affinity", "f\n",
                "proc/sys/vm/drop_caches", "",
                "proc/sys/vm/compact_memory", "");
        for (var e : files.entrySet()) {
            Files.createDirectories(root.resolve(e.getKey()).getParent());
            Files.writeString(root.resolve(e.getKey()), e.getValue());
        }
        // A fake tree has no kernel behind it: free_hugepages follows nr_hugepages only because we say so here.
        Path nr = root.resolve(pool + "nr_hugepages");
        PrintStream old = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Files.writeString(root.resolve(pool + "free_hugepages"), "20\n");
            ReserveForMyTool.main(new String[] {root.toString()});
        } finally {
            System.setOut(old);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8))
                .contains("added 16 pages: /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages: 4 -> 20")
                .contains("kept IRQs off 2-3: [/proc/irq/default_smp_affinity: f -> 3]");
        assertThat(Files.readString(nr).strip()).isEqualTo("4");
        assertThat(Files.readString(root.resolve("proc/irq/default_smp_affinity")).strip()).isEqualTo("f");
    }
}
