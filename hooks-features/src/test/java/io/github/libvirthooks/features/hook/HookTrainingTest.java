package io.github.libvirthooks.features.hook;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;
import io.github.libvirthooks.testkit.SimulatedHugePages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HookTrainingTest {
    @TempDir
    Path tmp;

    @Test
    void theTrainingHostIsLaidOutAsTheSimulatedKernelLaysItOut() throws IOException {
        HookTraining.layOutHugePages(Files.createDirectories(tmp.resolve("training")));
        new SimulatedHugePages(Files.createDirectories(tmp.resolve("simulated")), 1, HugePageSize.TWO_MIB);

        assertThat(files(tmp.resolve("training"))).isNotEmpty().isEqualTo(files(tmp.resolve("simulated")));
    }

    @Test
    void theTrainingRunPreparesAndReleasesItsVm() {
        assertThat(HookTraining.run(tmp)).isTrue();
    }

    private static Map<String, String> files(Path root) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(Files::isRegularFile).forEach(file -> {
                try {
                    files.put(root.relativize(file).toString(), Files.readString(file, StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return files;
    }
}
