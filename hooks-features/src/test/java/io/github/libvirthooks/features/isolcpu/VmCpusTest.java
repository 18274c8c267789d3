package io.github.libvirthooks.features.isolcpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VmCpusTest {
    /** The guides' layout: vCPUs on 2-5, the emulator and the IOThread on the host's core 0-1. */
    private static final String GUIDE = "<vcpu placement='static'>4</vcpu><cputune>"
            + "<vcpupin vcpu='0' cpuset='2'/><vcpupin vcpu='1' cpuset='3'/><vcpupin vcpu='2' cpuset='4'/><vcpupin vcpu='3' cpuset='5'/>"
            + "<emulatorpin cpuset='0-1'/><iothreadpin iothread='1' cpuset='1'/></cputune>";

    @Test
    void byDefaultOnlyTheVcpusPinsAreTheVms() {
        VmCpus cpus = VmCpus.of(vm(GUIDE), options(Map.of()));
        assertThat(cpus.cpus()).isEqualTo(CpuSet.range(2, 5));
        assertThat(cpus.notes()).anyMatch(n -> n.startsWith("the emulator's CPUs 0-1 (<emulatorpin>) stay host CPUs"))
                .anyMatch(n -> n.startsWith("the IOThreads' CPUs 1 (<iothreadpin>) stay host CPUs"));
    }

    @Test
    void includeAddsTheEmulatorAndIothreadPins() {
        assertThat(VmCpus.of(vm(GUIDE), options(Map.of("include", "emulator"))).cpus()).isEqualTo(CpuSet.range(0, 5));
        assertThat(VmCpus.of(vm(GUIDE), options(Map.of("include", "iothreads"))).cpus()).isEqualTo(CpuSet.range(1, 5));
        assertThat(VmCpus.of(vm(GUIDE), options(Map.of("include", "emulator, iothreads"))).notes()).isEmpty();
        assertThatThrownBy(() -> options(Map.of("include", "vcpus"))).isInstanceOf(FeatureException.class)
                .hasMessageContaining("invalid include 'vcpus'");
    }

    @Test
    void includeEmulatorWithoutAnEmulatorPinIsRefused() {
        Domain vm = vm("<vcpu>1</vcpu><cputune><vcpupin vcpu='0' cpuset='3'/></cputune>");
        assertThatThrownBy(() -> VmCpus.of(vm, options(Map.of("include", "emulator")))).hasMessageContaining("does not pin its emulator");
    }

    @Test
    void theCpusOptionWinsOverEverything() {
        assertThat(VmCpus.of(vm(GUIDE), options(Map.of("cpus", "6-7"))).cpus()).isEqualTo(CpuSet.of(6, 7));
        assertThat(VmCpus.of(vm("<vcpu placement='auto'>2</vcpu>"), options(Map.of("cpus", "6-7"))).cpus()).isEqualTo(CpuSet.of(6, 7));
    }

    @Test
    void vcpuCpusetPinsEveryVcpuWithoutAPin() {
        assertThat(VmCpus.of(vm("<vcpu placement='static' cpuset='0-1'>2</vcpu>"), options(Map.of())).cpus())
                .isEqualTo(CpuSet.of(0, 1));
        Domain mixed = vm("<vcpu cpuset='4-7,^5'>3</vcpu><cputune><vcpupin vcpu='0' cpuset='1-3,^2'/></cputune>");
        assertThat(VmCpus.of(mixed, options(Map.of())).cpus()).isEqualTo(CpuSet.of(1, 3, 4, 6, 7));
    }

    @Test
    void vcpusThatStartDisabledAreNotIsolated() {
        Domain vm = vm("<vcpu current='2'>4</vcpu><vcpus><vcpu id='0' enabled='yes'/><vcpu id='1' enabled='no' hotpluggable='yes'/>"
                + "<vcpu id='2' enabled='yes' hotpluggable='yes'/><vcpu id='3' enabled='no' hotpluggable='yes'/></vcpus>"
                + "<cputune><vcpupin vcpu='0' cpuset='2'/><vcpupin vcpu='1' cpuset='3'/><vcpupin vcpu='2' cpuset='4'/></cputune>");
        VmCpus cpus = VmCpus.of(vm, options(Map.of()));
        assertThat(cpus.cpus()).isEqualTo(CpuSet.of(2, 4));
        assertThat(cpus.notes()).anyMatch(n -> n.startsWith("vCPUs 1,3 start disabled (hot-pluggable)"));
        Domain current = vm("<vcpu current='1'>2</vcpu><cputune><vcpupin vcpu='0' cpuset='2'/></cputune>");
        assertThat(VmCpus.of(current, options(Map.of())).cpus()).isEqualTo(CpuSet.of(2));
    }

    @Test
    void floatingVcpusAreCountedAndRefused() {
        Domain vm = vm("<vcpu>4</vcpu><cputune><vcpupin vcpu='0' cpuset='2'/><vcpupin vcpu='2' cpuset='3'/></cputune>");
        assertThatThrownBy(() -> VmCpus.of(vm, options(Map.of()))).isInstanceOf(FeatureException.class)
                .hasMessageStartingWith("2 of the 4 vCPUs of vm (vCPU 1,3) have no <vcpupin> and no <vcpu cpuset>")
                .hasMessageContaining("cpus=");
    }

    @Test
    void aVmPinningNothingIsToldWhatToAddForItsOwnVcpus() {
        assertThatThrownBy(() -> VmCpus.of(vm("<vcpu>2</vcpu><cputune><emulatorpin cpuset='0'/></cputune>"), options(Map.of())))
                .hasMessageContaining("vm pins no CPUs").hasMessageContaining("its 2 vCPUs float")
                .hasMessageContaining("<cputune><vcpupin vcpu='0' cpuset='2'/><vcpupin vcpu='1' cpuset='3'/></cputune>")
                .hasMessageContaining("<isolcpu cpus=");
        assertThatThrownBy(() -> VmCpus.of(vm("<vcpu>16</vcpu>"), options(Map.of())))
                .hasMessageContaining("its 16 vCPUs").hasMessageContaining("up to vcpu='15'");
    }

    @Test
    void numadPlacementIsUnknownAtPrepare() {
        Domain pinsOthers = vm("<vcpu placement='auto' current='2'>6</vcpu><cputune><emulatorpin cpuset='1-3'/></cputune>");
        assertThatThrownBy(() -> VmCpus.of(pinsOthers, options(Map.of())))
                .hasMessageStartingWith("<vcpu placement='auto'> lets numad choose the CPUs of vm's vCPUs when it starts")
                .hasMessageContaining("unknown at prepare").hasMessageContaining("cpus=");
        assertThatThrownBy(() -> VmCpus.of(vm("<vcpu placement='auto' cpuset='0-1'>2</vcpu>"), options(Map.of())))
                .hasMessageStartingWith("vm pins no CPUs: <vcpu placement='auto'>");
        Domain pinned = vm("<vcpu placement='auto'>1</vcpu><cputune><vcpupin vcpu='0' cpuset='5'/></cputune>");
        assertThat(VmCpus.of(pinned, options(Map.of())).cpus()).isEqualTo(CpuSet.of(5));
    }

    private static IsolcpuOptions options(Map<String, String> options) {
        return IsolcpuOptions.parse(options);
    }

    private static Domain vm(String body) {
        String xml = "<domain type='kvm'><name>vm</name><memory unit='MiB'>64</memory>" + body + "</domain>";
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }
}
