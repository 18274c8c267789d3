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
}
