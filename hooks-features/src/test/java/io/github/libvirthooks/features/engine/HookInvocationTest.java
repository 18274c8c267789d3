package io.github.libvirthooks.features.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class HookInvocationTest {
    @Test
    void parsesWhatLibvirtPasses() {
        HookInvocation i = HookInvocation.parse(List.of("qemu", "win 10; $(x)", "prepare", "begin", "-"));
        assertThat(i.vmName()).isEqualTo("win 10; $(x)");
        assertThat(i.operation()).isEqualTo(HookOperation.PREPARE);
        assertThat(i.operation().abortsOnFailure()).isTrue();
        assertThat(HookInvocation.parse(List.of("qemu", "a", "release", "end")).extra()).isEqualTo("-");
        assertThat(HookOperation.RELEASE.abortsOnFailure()).isFalse();
    }

    @Test
    void rejectsEverythingElseWithAClearMessage() {
        assertThatThrownBy(() -> HookInvocation.parse(List.of("lxc", "a", "prepare", "begin")))
                .hasMessageContaining("unsupported hook object 'lxc'");
        assertThatThrownBy(() -> HookInvocation.parse(List.of("qemu", "a", "explode", "begin")))
                .hasMessageContaining("unknown hook operation 'explode'; expected one of prepare, start");
        assertThatThrownBy(() -> HookInvocation.parse(List.of("qemu", "a", "prepare", "maybe")))
                .hasMessageContaining("unknown sub-operation");
        assertThatThrownBy(() -> HookInvocation.parse(List.of("qemu", "../etc", "prepare", "begin")))
                .hasMessageContaining("invalid VM name");
        assertThatThrownBy(() -> HookInvocation.parse(List.of("qemu", "a\u0000b", "prepare", "begin")))
                .hasMessageContaining("a\\x00b");
        assertThatThrownBy(() -> HookInvocation.parse(List.of("qemu", "a")))
                .hasMessageContaining("expected: qemu <vm-name>");
        assertThatThrownBy(() -> HookInvocation.parse(List.of("qemu", "", "prepare", "begin"))).hasMessageContaining("empty");
    }
}
