package io.github.libvirthooks.sysfs.kernel;

import io.github.libvirthooks.sysfs.FakeTree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import io.github.libvirthooks.sysfs.kernel.KernelCommandLine.Parameter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelCommandLineTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

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
        assertThat(cmdline.has("quiet")).isTrue();
        assertThat(cmdline.has("nosplash")).isFalse();
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
        KernelCommandLine cmdline = KernelCommandLine.parse("console=tty0 console=ttyS0,115200 irqaffinity=0 irqaffinity=0-1");

        assertThat(cmdline.values("console")).containsExactly("tty0", "ttyS0,115200");
        assertThat(cmdline.value("console")).contains("ttyS0,115200");
        assertThat(cmdline.irqaffinity()).contains(CpuSet.of(0, 1));
    }

    @Test
    void dashesAndUnderscoresAreTheSameInNames() {
        KernelCommandLine cmdline = KernelCommandLine.parse("nohz-full=2-3 rcu_nocbs=2-3");

        assertThat(cmdline.nohzFull()).contains(CpuSet.of(2, 3));
        assertThat(cmdline.has("rcu-nocbs")).isTrue();
    }

    @Test
    void argumentsAfterDoubleDashBelongToInit() {
        KernelCommandLine cmdline = KernelCommandLine.parse("quiet rdinit=/init -- --addr 0.0.0.0:2024 single isolcpus=1");

        assertThat(cmdline.parameters()).extracting(Parameter::name).containsExactly("quiet", "rdinit");
        assertThat(cmdline.initArguments()).containsExactly("--addr", "0.0.0.0:2024", "single", "isolcpus=1");
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
        assertThat(isolcpus.has(IsolcpusFlag.DOMAIN)).isFalse();
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
        assertThat(KernelCommandLine.parse("nohz_full=2-N rcu_nocbs=all", 8).rcuNocbs()).contains(CpuSet.range(0, 7));
        assertThat(KernelCommandLine.parse("isolcpus=domain,N", 8).isolcpus().orElseThrow().cpus()).isEqualTo(CpuSet.of(7));
        assertThatThrownBy(() -> KernelCommandLine.parse("nohz_full=2-N").nohzFull())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("need the number of possible CPUs");
    }

    @Test
    void bareRcuNocbsIsAnEmptyList() {
        assertThat(KernelCommandLine.parse("rcu_nocbs").rcuNocbs()).contains(CpuSet.empty());
        assertThat(KernelCommandLine.parse("quiet").rcuNocbs()).isEmpty();
    }

    @Test
    void hugepagesFollowTheSizeBeforeThem() {
        KernelCommandLine cmdline = KernelCommandLine.parse(
                "hugepagesz=1G hugepages=4 hugepagesz=2M hugepages=512 default_hugepagesz=1G");

        assertThat(cmdline.defaultHugepagesz()).hasValue(GIB);
        assertThat(cmdline.hugepages()).containsExactly(
                new HugePagesBoot(GIB, 4, Map.of()),
                new HugePagesBoot(2 * MIB, 512, Map.of()));
    }

    @Test
    void hugepagesBeforeAnySizeTakeTheDefaultSize() {
        assertThat(KernelCommandLine.parse("hugepages=100 hugepagesz=1G hugepages=2").hugepages())
                .containsExactly(new HugePagesBoot(0, 100, Map.of()), new HugePagesBoot(GIB, 2, Map.of()));
        assertThat(KernelCommandLine.parse("hugepages=3 default_hugepagesz=1g").hugepages())
                .containsExactly(new HugePagesBoot(GIB, 3, Map.of()));
        assertThat(KernelCommandLine.parse("default_hugepagesz=1G hugepages=8").hugepages())
                .containsExactly(new HugePagesBoot(GIB, 8, Map.of()));
        assertThat(KernelCommandLine.parse("hugepages=100").hugepages().get(0).isDefaultSize()).isTrue();
    }

    @Test
    void secondHugepagesForTheSameSizeIsIgnoredLikeTheKernelDoes() {
        assertThat(KernelCommandLine.parse("hugepagesz=2M hugepages=10 hugepages=20").hugepages())
                .containsExactly(new HugePagesBoot(2 * MIB, 10, Map.of()));
    }

    @Test
    void perNodeHugepages() {
        HugePagesBoot boot = KernelCommandLine.parse("hugepagesz=2M hugepages=0:256,1:512").hugepages().get(0);

        assertThat(boot.pages()).isEqualTo(768);
        assertThat(boot.pagesPerNode()).containsExactly(Map.entry(0, 256L), Map.entry(1, 512L));
    }

    @Test
    void malformedHugepageValuesAreRefused() {
        assertThatThrownBy(() -> KernelCommandLine.parse("hugepagesz=2X hugepages=1").hugepages())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hugepagesz=2X");
        assertThatThrownBy(() -> KernelCommandLine.parse("hugepages=-1").hugepages())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hugepages=-1");
        assertThatThrownBy(() -> KernelCommandLine.parse("hugepages=0:1,x").hugepages())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("node:count");
    }

    @Test
    void unifiedCgroupHierarchyReadsSystemdBooleans() {
        assertThat(KernelCommandLine.parse("systemd.unified_cgroup_hierarchy=0").unifiedCgroupHierarchy()).contains(false);
        assertThat(KernelCommandLine.parse("systemd.unified_cgroup_hierarchy=yes").unifiedCgroupHierarchy()).contains(true);
        assertThat(KernelCommandLine.parse("systemd.unified_cgroup_hierarchy").unifiedCgroupHierarchy()).contains(true);
        assertThat(KernelCommandLine.parse("quiet").unifiedCgroupHierarchy()).isEmpty();
        assertThatThrownBy(() -> KernelCommandLine.parse("systemd.unified_cgroup_hierarchy=maybe").unifiedCgroupHierarchy())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maybe");
    }

    @Test
    void readUsesPossibleCpusForAllAndN() {
        HostRoot host = new FakeTree(tmp)
                .file("/proc/cmdline", "isolcpus=nohz,domain,1-N irqaffinity=0")
                .file("/sys/devices/system/cpu/possible", "0-3")
                .host();

        KernelCommandLine cmdline = KernelCommandLine.read(host);

        assertThat(cmdline.isolcpus().orElseThrow().cpus()).isEqualTo(CpuSet.range(1, 3));
        assertThat(cmdline.text()).isEqualTo("isolcpus=nohz,domain,1-N irqaffinity=0");
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
        cmdline.hugepages();
    }
}
