package io.github.libvirthooks.sysfs.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.FakeTree;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.exec.CommandException;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelModulesTest {
    static final String NVIDIA = String.join("\n",
            "nvidia_uvm 1531904 0 - Live 0x0000000000000000 (POE)",
            "nvidia_drm 77824 4 - Live 0x0000000000000000 (POE)",
            "nvidia_modeset 1302528 8 nvidia_drm, Live 0x0000000000000000 (POE)",
            "nvidia 56713216 520 nvidia_uvm,nvidia_modeset, Live 0x0000000000000000 (POE)",
            "vfio_pci 16384 0 - Live 0x0000000000000000",
            "vfio_pci_core 94208 1 vfio_pci, Live 0x0000000000000000",
            "drm_kms_helper 212992 1 nvidia_drm, Live 0x0000000000000000");

    @TempDir
    Path root;

    @Test
    void parsesProcModulesWithTheirUsers() {
        FakeTree tree = new FakeTree(root).file("/proc/modules", NVIDIA);
        var loaded = new KernelModules(tree.host()).loaded();
        assertThat(loaded.get("nvidia").usedBy()).containsExactly("nvidia_uvm", "nvidia_modeset");
        assertThat(loaded.get("nvidia").refcount()).isEqualTo(520);
        assertThat(loaded.get("nvidia_drm").usedBy()).isEmpty();
        assertThat(new KernelModules(tree.host()).isLoaded("vfio-pci")).isTrue();
    }

    @Test
    void unloadOrderPutsEveryUserBeforeWhatItUses() {
        FakeTree tree = new FakeTree(root).file("/proc/modules", NVIDIA);
        List<String> order = new KernelModules(tree.host()).unloadOrder(List.of("nvidia"));
        assertThat(order).containsExactlyInAnyOrder("nvidia_uvm", "nvidia_drm", "nvidia_modeset", "nvidia");
        assertThat(order.indexOf("nvidia_drm")).isLessThan(order.indexOf("nvidia_modeset"));
        assertThat(order.indexOf("nvidia_modeset")).isLessThan(order.indexOf("nvidia"));
        assertThat(order.indexOf("nvidia_uvm")).isLessThan(order.indexOf("nvidia"));
        assertThat(new KernelModules(tree.host()).unloadOrder(List.of("amdgpu"))).as("not loaded").isEmpty();
    }

    @Test
    void neverUnloadsVfio() {
        FakeTree tree = new FakeTree(root).file("/proc/modules", NVIDIA);
        assertThatThrownBy(() -> new KernelModules(tree.host()).unloadOrder(List.of("vfio_pci_core")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vfio");
        List<List<String>> ran = new ArrayList<>();
        CommandRunner runner = (argv, timeout) -> {
            ran.add(argv);
            return new CommandResult(argv, 0, "", "");
        };
        assertThatThrownBy(() -> new KernelModules(tree.host()).unload(runner, "vfio-pci", Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(ran).isEmpty();
    }

    @Test
    void unloadAndLoadRunModprobeWithTheLimit() {
        FakeTree tree = new FakeTree(root).file("/proc/modules", NVIDIA);
        List<String> seen = new ArrayList<>();
        CommandRunner runner = (argv, timeout) -> {
            seen.add(String.join(" ", argv) + " " + timeout.toSeconds());
            return new CommandResult(argv, argv.contains("nvidia") ? 1 : 0, "", "modprobe: FATAL: Module nvidia is in use.\n");
        };
        KernelModules modules = new KernelModules(tree.host());
        modules.unload(runner, "nvidia-drm", Duration.ofSeconds(7));
        modules.load(runner, "nvidia_drm", Duration.ofSeconds(7));
        assertThatThrownBy(() -> modules.unload(runner, "nvidia", Duration.ofSeconds(7))).isInstanceOf(CommandException.class)
                .hasMessageContaining("in use");
        assertThat(seen).containsExactly("modprobe -r nvidia_drm 7", "modprobe nvidia_drm 7", "modprobe -r nvidia 7");
        assertThatThrownBy(() -> modules.load(runner, "x; reboot", Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDamagedLineIsNamed() {
        FakeTree tree = new FakeTree(root).file("/proc/modules", "Nvidia!! x y");
        assertThatThrownBy(() -> new KernelModules(tree.host()).loaded()).isInstanceOf(HostAccessException.class)
                .hasMessageContaining("/proc/modules");
    }
}
