package io.github.libvirthooks.sysfs.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.FakeTree;
import io.github.libvirthooks.sysfs.HostAccessException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsolesTest {
    @TempDir
    Path root;
    FakeTree tree;

    @BeforeEach
    void consoles() {
        tree = new FakeTree(root)
                .file("/sys/class/vtconsole/vtcon0/bind", "0").file("/sys/class/vtconsole/vtcon0/name", "(S) dummy device")
                .file("/sys/class/vtconsole/vtcon1/bind", "1").file("/sys/class/vtconsole/vtcon1/name", "(M) frame buffer device")
                .file("/sys/class/vtconsole/other/bind", "1");
    }

    @Test
    void listsConsoleDriversAndTellsTheFramebufferOne() {
        assertThat(new VtConsoles(tree.host()).all()).containsExactly(
                new VtConsole("vtcon0", "(S) dummy device", false),
                new VtConsole("vtcon1", "(M) frame buffer device", true));
        assertThat(new VtConsoles(tree.host()).read("vtcon1").isFramebuffer()).isTrue();
        assertThat(new VtConsoles(tree.host()).read("vtcon0").isFramebuffer()).isFalse();
    }

    @Test
    void unbindAndBindWriteTheBindFile() {
        assertThat(new VtConsoles(tree.host()).unbind("vtcon1").before()).isEqualTo("1");
        assertThat(tree.content("/sys/class/vtconsole/vtcon1/bind")).isEqualTo("0");
        new VtConsoles(tree.host()).bind("vtcon1");
        assertThat(tree.content("/sys/class/vtconsole/vtcon1/bind")).isEqualTo("1");
    }

    @Test
    void refusesNamesAndValuesNotOfTheKernel() {
        assertThatThrownBy(() -> new VtConsoles(tree.host()).unbind("../../x")).isInstanceOf(IllegalArgumentException.class);
        tree.file("/sys/class/vtconsole/vtcon1/bind", "maybe");
        assertThatThrownBy(() -> new VtConsoles(tree.host()).read("vtcon1")).isInstanceOf(HostAccessException.class)
                .hasMessageContaining("expected 0 or 1");
    }

    @Test
    void findsWhicheverFramebufferIsBoundOrNone() throws IOException {
        PlatformFramebuffers fbs = new PlatformFramebuffers(tree.host());
        assertThat(fbs.bound()).isEmpty();
        tree.file("/sys/bus/platform/drivers/simple-framebuffer/unbind", "").file("/sys/bus/platform/drivers/simple-framebuffer/bind", "")
                .dir("/sys/bus/platform/drivers/efi-framebuffer").dir("/sys/devices/platform/simple-framebuffer.0");
        Files.createSymbolicLink(tree.local("/sys/bus/platform/drivers/simple-framebuffer/simple-framebuffer.0"),
                Path.of("../../../../devices/platform/simple-framebuffer.0"));
        // A plain file of that name is not a bound device.
        tree.file("/sys/bus/platform/drivers/efi-framebuffer/efi-framebuffer.0", "");
        PlatformFramebuffer simple = new PlatformFramebuffer("simple-framebuffer", "simple-framebuffer.0");
        assertThat(fbs.bound()).containsExactly(simple);
        assertThat(fbs.isBound(simple)).isTrue();
        fbs.unbind(simple);
        assertThat(tree.content("/sys/bus/platform/drivers/simple-framebuffer/unbind")).isEqualTo("simple-framebuffer.0");
        fbs.bind(simple);
        assertThat(tree.content("/sys/bus/platform/drivers/simple-framebuffer/bind")).isEqualTo("simple-framebuffer.0");
    }

    @Test
    void aFramebufferNameIsCheckedBeforeItBecomesAPath() {
        assertThat(PlatformFramebuffer.parse("efi-framebuffer/efi-framebuffer.0").device()).isEqualTo("efi-framebuffer.0");
        assertThatThrownBy(() -> PlatformFramebuffer.parse("efi-framebuffer/../../../etc")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PlatformFramebuffer.parse("nvidia/efi-framebuffer.0")).isInstanceOf(IllegalArgumentException.class);
    }
}
