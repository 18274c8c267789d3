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

class DropCachesTest {
    @TempDir
    Path root;

    @Test
    void dropCachesWritesThreeAsATrigger() {
        ProcTree.file(root, DropCaches.PATH, "0\n");
        List<Change> seen = new ArrayList<>();
        HostRoot host = HostRoot.at(root).withListener(new io.github.libvirthooks.sysfs.HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) {
                seen.add(intended);
            }

            @Override
            public void beforeTrigger(String path, String value) {
                seen.add(new Change(path, "", value));
            }
        });

        new DropCaches(host).dropCaches();

        assertThat(seen).containsExactly(new Change(DropCaches.PATH, "", "3"));
        assertThat(ProcTree.read(root, DropCaches.PATH)).isEqualTo("3");
    }

    @Test
    void pageCacheOnlyWritesOne() {
        ProcTree.file(root, DropCaches.PATH, "0\n");

        new DropCaches(HostRoot.at(root)).dropCaches(DropCaches.Caches.PAGE_CACHE);

        assertThat(ProcTree.read(root, DropCaches.PATH)).isEqualTo("1");
    }

    @Test
    void missingFileIsReportedClearly() {
        DropCaches dropCaches = new DropCaches(HostRoot.at(root));

        assertThat(dropCaches.isSupported()).isFalse();
        assertThatThrownBy(dropCaches::dropCaches)
                .isInstanceOf(HostAccessException.class)
                .hasMessageStartingWith("cannot drop caches: /proc/sys/vm/drop_caches does not exist");
    }
}
