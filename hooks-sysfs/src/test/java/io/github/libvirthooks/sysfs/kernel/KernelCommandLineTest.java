package io.github.libvirthooks.sysfs.kernel;

import io.github.libvirthooks.sysfs.FakeTree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import io.github.libvirthooks.sysfs.kernel.KernelCommandLine.Parameter;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelCommandLineTest {
    @TempDir
    Path tmp;

    @Test
    void splitsOnWhitespaceAndKeepsBareFlags() {
        KernelCommandLine cmdline = KernelCommandLine.parse("BOOT_IMAGE=/vmlinuz root=UUID=abc ro  quiet\tsplash foo=\n");

        assertThat(cmdline.parameters()).containsExactly(
                new Parameter("BOOT_IMAGE", "/vmlinuz", true),
                new Parameter("root", "UUID=abc", true),
                new Parameter("ro", "", false),
                new Parameter("quiet", "", false),
                new Parameter("splash", "", false),
                new Parameter("foo", "", true));
        assertThat(cmdline.value("root")).contains("UUID=abc");
        assertThat(cmdline.value("quiet")).contains("");
        assertThat(cmdline.value("nosplash")).isEmpty();
    }

    @Test
    void quotesProtectSpacesAndAreDropped() {
        KernelCommandLine cmdline = KernelCommandLine.parse(
                "a=\"one two\" \"b=three four\" c=\"x\"y dyndbg=\"file foo.c +p\" plain");

        assertThat(cmdline.parameters()).containsExactly(
                new Parameter("a", "one two", true),
                new Parameter("b", "three four", true),
                new Parameter("c", "x\"y", true),
                new Parameter("dyndbg", "file foo.c +p", true),
                new Parameter("plain", "", false));
    }

    @Test
    void repeatedKeysKeepEveryValueAndTheLastWins() {
        KernelCommandLine cmdline = KernelCommandLine.parse("console=tty0 console=ttyS0,115200 nohz_full=0 nohz_full=0-1");

        assertThat(cmdline.parameters()).filteredOn(p -> p.isNamed("console")).extracting(Parameter::value)
                .containsExactly("tty0", "ttyS0,115200");
        assertThat(cmdline.value("console")).contains("ttyS0,115200");
        assertThat(cmdline.nohzFull()).contains(CpuSet.of(0, 1));
    }

    @Test
    void dashesAndUnderscoresAreTheSameInNames() {
        KernelCommandLine cmdline = KernelCommandLine.parse("nohz-full=2-3 rcu_nocbs=2-3");

        assertThat(cmdline.nohzFull()).contains(CpuSet.of(2, 3));
        assertThat(cmdline.value("rcu-nocbs")).contains("2-3");
    }

    @Test
    void argumentsAfterDoubleDashBelongToInitNotTheKernel() {
        KernelCommandLine cmdline = KernelCommandLine.parse("quiet rdinit=/init -- --addr 0.0.0.0:2024 single isolcpus=1");

        assertThat(cmdline.parameters()).extracting(Parameter::name).containsExactly("quiet", "rdinit");
        assertThat(cmdline.isolcpus()).isEmpty();
    }

    @Test
    void isolcpusWithFlags() {
        Isolcpus isolcpus = KernelCommandLine.parse("isolcpus=nohz,domain,managed_irq,2-5,8").isolcpus().orElseThrow();

        assertThat(isolcpus.flags()).containsExactlyInAnyOrder(IsolcpusFlag.NOHZ, IsolcpusFlag.DOMAIN, IsolcpusFlag.MANAGED_IRQ);
        assertThat(isolcpus.cpus()).isEqualTo(CpuSet.parseList("2-5,8"));
        assertThat(isolcpus.unknownFlags()).isEmpty();
    }

    @Test
    void isolcpusWithoutFlagsMeansDomain() {
        Isolcpus isolcpus = KernelCommandLine.parse("isolcpus=1,3").isolcpus().orElseThrow();

        assertThat(isolcpus.flags()).containsExactly(IsolcpusFlag.DOMAIN);
        assertThat(isolcpus.cpus()).isEqualTo(CpuSet.of(1, 3));
    }

    @Test
    void isolcpusOnlyNohzDoesNotAddDomainAndUnknownFlagsAreKept() {
        Isolcpus isolcpus = KernelCommandLine.parse("isolcpus=managed_irq,future_flag,4-7").isolcpus().orElseThrow();

        assertThat(isolcpus.flags()).isEqualTo(Set.of(IsolcpusFlag.MANAGED_IRQ));
        assertThat(isolcpus.unknownFlags()).containsExactly("future_flag");
        assertThat(isolcpus.cpus()).isEqualTo(CpuSet.range(4, 7));
    }

    @Test
    void isolcpusWithInvalidFlagIsRefused() {
        assertThatThrownBy(() -> KernelCommandLine.parse("isolcpus=nohz,dom4in,2").isolcpus())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dom4in");
        assertThatThrownBy(() -> KernelCommandLine.parse("isolcpus=2-x").isolcpus())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("isolcpus=2-x");
    }

    @Test
    void allAndLastCpuNeedTheNumberOfPossibleCpus() {
        assertThat(KernelCommandLine.parse("nohz_full=2-N rcu_nocbs=all", 8).nohzFull()).contains(CpuSet.range(2, 7));
        assertThat(KernelCommandLine.parse("nohz_full=all", 8).nohzFull()).contains(CpuSet.range(0, 7));
        assertThat(KernelCommandLine.parse("isolcpus=domain,N", 8).isolcpus().orElseThrow().cpus()).isEqualTo(CpuSet.of(7));
        assertThatThrownBy(() -> KernelCommandLine.parse("nohz_full=2-N").nohzFull())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("need the number of possible CPUs");
    }

    @Test
    void readUsesPossibleCpusForAllAndN() {
        HostRoot host = new FakeTree(tmp)
                .file("/proc/cmdline", "isolcpus=nohz,domain,1-N irqaffinity=0")
                .file("/sys/devices/system/cpu/possible", "0-3")
                .host();

        KernelCommandLine cmdline = KernelCommandLine.read(host);

        assertThat(cmdline.isolcpus().orElseThrow().cpus()).isEqualTo(CpuSet.range(1, 3));
        assertThat(cmdline).hasToString("isolcpus=nohz,domain,1-N irqaffinity=0");
    }

    @Test
    void missingCmdlineIsAClearError() {
        assertThatThrownBy(() -> KernelCommandLine.read(HostRoot.at(tmp)))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("/proc/cmdline is missing");
    }

    @Test
    void emptyCommandLine() {
        assertThat(KernelCommandLine.parse("  \n").parameters()).isEmpty();
    }

    @Test
    void realHostCommandLineParses() {
        KernelCommandLine cmdline = KernelCommandLine.read(HostRoot.system());

        assertThat(cmdline.parameters()).isNotEmpty();
        cmdline.isolcpus();
        cmdline.nohzFull();
    }
}
