package io.github.libvirthooks.features.cfscpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CfscpuClaimTest {
    static final String VCPU0 = "/sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dwin10.scope/libvirt/vcpu0/cpu.weight";

    @Test
    void release1ClaimsDecodeAndEncodeBackToTheSameKeys() {
        Map<String, String> rt = Map.of("runtime", "-1", "original", "950000");
        Map<String, String> weight = new LinkedHashMap<>();
        weight.put(VCPU0, "100");
        weight.put("weight", "200");

        assertThat(CfscpuClaim.CODEC.decode("sched_rt_runtime_us", rt)).isEqualTo(new CfscpuClaim.RtRuntime(-1, 950_000));
        CfscpuClaim decoded = CfscpuClaim.CODEC.decode("cpu.weight", weight);
        assertThat(decoded).isEqualTo(new CfscpuClaim.Weight(200, Map.of(VCPU0, 100)));
        assertThat(CfscpuClaim.CODEC.resource(decoded)).isEqualTo("cpu.weight");
        assertThat(CfscpuClaim.CODEC.encode(decoded)).isEqualTo(weight);
        assertThat(CfscpuClaim.CODEC.encode(new CfscpuClaim.RtRuntime(-1, 950_000))).isEqualTo(rt);
    }

    @Test
    void damagedOrPlantedValuesAreRefused() {
        assertThatThrownBy(() -> CfscpuClaim.CODEC.decode("sched_rt_runtime_us", Map.of("runtime", "-1")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CfscpuClaim.CODEC.decode("sched_rt_runtime_us", Map.of("runtime", "-5", "original", "1")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CfscpuClaim.CODEC.decode("cpu.weight", Map.of("/etc/passwd", "1", "weight", "100")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CfscpuClaim.CODEC.decode("cpu.weight", Map.of(VCPU0, "0", "weight", "100")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CfscpuClaim.CODEC.decode("cpu.max", Map.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
