package io.github.libvirthooks.sysfs.pci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PciAddressTest {
    @Test
    void acceptsOnlyTheKernelsForm() {
        assertThat(new PciAddress("0000:01:00.0").slot()).isEqualTo("0000:01:00");
        assertThat(new PciAddress("0000:0a:1f.7").function()).isEqualTo(7);
        for (String bad : new String[] {"0000:01:00.8", "01:00.0", "0000:01:00.0\n", "0000:01:00.0/../..", "0000:01:0g.0",
                "0000:01:00.00", " 0000:01:00.0", "0000:01:00.A"}) {
            assertThatThrownBy(() -> new PciAddress(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("0000:01:00.0");
        }
    }

    @Test
    void parseLowersTheCaseUsersWrite() {
        assertThat(PciAddress.parse(" 0000:0A:00.1 ")).isEqualTo(new PciAddress("0000:0a:00.1"));
    }

    @Test
    void libvirtsNumbersBecomeTheAddress() {
        assertThat(PciAddress.of(0, 0x0a, 0x1f, 7).text()).isEqualTo("0000:0a:1f.7");
        assertThatThrownBy(() -> PciAddress.of(0, 0x100, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PciAddress.of(0, 1, 0x20, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PciAddress.of(0, 1, 0, 8)).isInstanceOf(IllegalArgumentException.class);
    }
}
