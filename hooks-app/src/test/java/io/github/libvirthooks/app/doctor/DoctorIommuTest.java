package io.github.libvirthooks.app.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.app.install.InstallLayout;
import io.github.libvirthooks.testkit.FakeHost;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DoctorIommuTest {
    @TempDir
    Path tmp;

    Check iommu(FakeHost host) {
        return new Doctor(host.host(), new InstallLayout(tmp.resolve("install")), (argv, timeout) -> {
            throw new AssertionError("no command for this check: " + argv);
        }, List.of()).iommu();
    }

    @Test
    void groupsMeanTheIommuIsOn() {
        FakeHost host = FakeHost.at(tmp.resolve("host")).cmdline("quiet intel_iommu=on iommu=pt")
                .pciFunction("0000:01:00.0", "amdgpu", 12, "0x030000", "0x1002");
        Check check = iommu(host);
        assertThat(check.verdict()).isEqualTo(Check.Verdict.OK);
        assertThat(check.detail()).contains("1 IOMMU groups").contains("intel_iommu=on");
    }

    @Test
    void noGroupsIsAWarningThatSaysWhatToTurnOn() {
        FakeHost host = FakeHost.at(tmp.resolve("host")).cmdline("quiet").dir("/sys/kernel/iommu_groups");
        Check check = iommu(host);
        assertThat(check.verdict()).isEqualTo(Check.Verdict.WARN);
        assertThat(check.detail()).contains("neither intel_iommu nor amd_iommu");
        assertThat(check.fix()).contains("amd_iommu=on");
    }

    private List<Check> passthrough(FakeHost host) {
        return new Doctor(host.host(), new InstallLayout(tmp.resolve("install")), (argv, timeout) -> {
            throw new AssertionError("doctor asks no libvirt: " + argv);
        }, List.of()).passthrough();
    }

    private static String vm(String name, String... functions) {
        StringBuilder devices = new StringBuilder();
        for (String f : functions) {
            devices.append("<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x").append(f, 0, 4)
                    .append("' bus='0x").append(f, 5, 7).append("' slot='0x").append(f, 8, 10).append("' function='0x")
                    .append(f.substring(11)).append("'/></source></hostdev>");
        }
        return "<domain type='kvm'><name>" + name + "</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><devices>" + devices
                + "</devices></domain>";
    }

    @Test
    void eachDefinedVmWithPassthroughShowsItsFunctionsGroupsAndDriversFromLibvirtsOwnFiles() {
        FakeHost host = FakeHost.at(tmp.resolve("host"))
                .pciFunction("0000:01:00.0", "vfio-pci", 12, "0x030000", "0x1002")
                .pciFunction("0000:01:00.1", "snd_hda_intel", 12, "0x040300", "0x1002")
                .pciFunction("0000:02:00.0", "nvme", 13, "0x010802", "0x144d")
                .file("/etc/libvirt/qemu/win10.xml", vm("win10", "0000:01:00.0", "0000:01:00.1"))
                .file("/etc/libvirt/qemu/half.xml", vm("half", "0000:01:00.0"))
                .file("/etc/libvirt/qemu/plain.xml", vm("plain"))
                .file("/etc/libvirt/qemu/gone.xml", vm("gone", "0000:09:00.0"))
                .file("/etc/libvirt/qemu/broken.xml", "<domain");

        List<Check> checks = passthrough(host);

        assertThat(checks).extracting(Check::detail).containsExactlyInAnyOrder(
                "win10: 0000:01:00.0 (vfio-pci, group 12), 0000:01:00.1 (snd_hda_intel, group 12)",
                "half: 0000:01:00.0 (vfio-pci, group 12); group 12 also holds 0000:01:00.1, which half does not get",
                "gone: no function found; 0000:09:00.0 is not on this host");
        assertThat(checks).filteredOn(c -> c.detail().startsWith("win10")).singleElement()
                .satisfies(c -> assertThat(c.verdict()).isEqualTo(Check.Verdict.OK));
        assertThat(checks).filteredOn(c -> !c.detail().startsWith("win10")).allSatisfy(c -> {
            assertThat(c.verdict()).isEqualTo(Check.Verdict.WARN);
            assertThat(c.name()).isEqualTo("vfio");
        });
    }
}
