package io.github.libvirthooks.sysfs.memory;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CompactMemoryTest {
    @TempDir
    Path root;

    @Test
    void compactMemoryWritesOneAsATrigger() {
        ProcTree.file(root, CompactMemory.PATH, "");
        List<Change> seen = new ArrayList<>();

        new CompactMemory(HostRoot.at(root).withListener(new io.github.libvirthooks.sysfs.HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) {
                seen.add(intended);
            }

            @Override
            public void beforeTrigger(String path, String value) {
                seen.add(new Change(path, "", value));
            }
        })).compactMemory();

        assertThat(seen).containsExactly(new Change(CompactMemory.PATH, "", "1"));
        assertThat(ProcTree.read(root, CompactMemory.PATH)).isEqualTo("1");
    }

    @Test
    void kernelWithoutCompactionIsNamed() {
        CompactMemory compactMemory = new CompactMemory(HostRoot.at(root));

        assertThat(compactMemory.isSupported()).isFalse();
        assertThatThrownBy(compactMemory::compactMemory)
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("/proc/sys/vm/compact_memory does not exist")
                .hasMessageContaining("CONFIG_COMPACTION");
    }
}
