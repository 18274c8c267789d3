package io.github.libvirthooks.sysfs.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.FakeTree;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KvmfrTest {
    @TempDir
    Path root;

    @Test
    void theStaticSizesAreReadWhereTheModuleShowsThemAndUnknownWhereNot() {
        FakeTree tree = new FakeTree(root).file("/proc/modules", "kvmfr 16384 0 - Live 0x0\n");
        Kvmfr kvmfr = new Kvmfr(HostRoot.at(root));
        assertThat(kvmfr.isLoaded()).isTrue();
        assertThat(kvmfr.staticSizesMb()).isEmpty();

        tree.file("/sys/module/kvmfr/parameters/static_size_mb", "32,128\n");
        assertThat(kvmfr.staticSizesMb()).contains(List.of(32L, 128L));

        tree.file("/sys/module/kvmfr/parameters/static_size_mb", "32,lots");
        assertThatThrownBy(kvmfr::staticSizesMb).isInstanceOf(HostAccessException.class).hasMessageContaining("32,lots");
    }

    @Test
    void loadingPassesTheSizeAsTheOnlyParameter() {
        List<List<String>> ran = new ArrayList<>();
        new Kvmfr(HostRoot.at(root)).load((argv, timeout) -> {
            ran.add(argv);
            return new CommandResult(argv, 0, "", "");
        }, 64, Duration.ofSeconds(5));

        assertThat(ran).containsExactly(List.of("modprobe", "kvmfr", "static_size_mb=64"));
        assertThatThrownBy(() -> new Kvmfr(HostRoot.at(root)).load((argv, t) -> null, 0, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void devicesAreKvmfrZeroToNine() {
        assertThat(Kvmfr.device(0)).isEqualTo("/dev/kvmfr0");
        assertThat(Kvmfr.index("/dev/kvmfr3")).isEqualTo(Optional.of(3));
        assertThat(Kvmfr.index("/dev/kvmfr10")).isEmpty();
        assertThat(Kvmfr.index("/dev/shm/kvmfr0")).isEmpty();
        assertThatThrownBy(() -> Kvmfr.device(10)).isInstanceOf(IllegalArgumentException.class);
    }
}
