package io.github.libvirthooks.features.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.cpu.CpuSet;
import org.junit.jupiter.api.Test;

class LibvirtCpuListTest {
    private static final String WHERE = "<vcpupin cpuset>";

    @Test
    void readsNumbersAndRanges() {
        assertThat(LibvirtCpuList.parse("0", WHERE)).isEqualTo(CpuSet.of(0));
        assertThat(LibvirtCpuList.parse("0-3,8-11", WHERE)).isEqualTo(CpuSet.parseList("0-3,8-11"));
    }

    @Test
    void aCaretTakesNumbersOutOfWhatCameBefore() {
        assertThat(LibvirtCpuList.parse("0-5,^4", WHERE)).isEqualTo(CpuSet.parseList("0-3,5"));
        assertThat(LibvirtCpuList.parse("1-3,^2", WHERE)).isEqualTo(CpuSet.of(1, 3));
        assertThat(LibvirtCpuList.parse("1-2,5-7,^6", WHERE)).isEqualTo(CpuSet.of(1, 2, 5, 7));
        assertThat(LibvirtCpuList.parse("0-7,^2-3", WHERE)).isEqualTo(CpuSet.parseList("0-1,4-7"));
        // in order, as libvirt reads it: a later number comes back
        assertThat(LibvirtCpuList.parse("0-3,^1,1", WHERE)).isEqualTo(CpuSet.range(0, 3));
    }

    @Test
    void whitespaceAroundThePartsIsIgnored() {
        assertThat(LibvirtCpuList.parse(" 0 - 2 , ^ 1 ,\n4 ", WHERE)).isEqualTo(CpuSet.of(0, 2, 4));
    }

    @Test
    void anythingElseIsATypedErrorNamingTheAttributeAndTheValue() {
        for (String bad : new String[] {"", " ", "1-", "-1", "a", "^", "1,,2", "3-1", "0-7:2", "0x3", "99999", "1.5", "+1"}) {
            assertThatThrownBy(() -> LibvirtCpuList.parse(bad, WHERE)).as(bad).isInstanceOf(DomainXmlException.class)
                    .hasMessageStartingWith("invalid <vcpupin cpuset> '")
                    .hasMessageContaining("such as 0-5,^4");
        }
        assertThatThrownBy(() -> LibvirtCpuList.parse("3-1", "<page nodeset>")).hasMessageContaining("'3-1' runs backwards");
    }

    @Test
    void aListThatExcludesEverythingIsRefusedAsLibvirtDoes() {
        assertThatThrownBy(() -> LibvirtCpuList.parse("2,^2", WHERE)).isInstanceOf(DomainXmlException.class)
                .hasMessageContaining("leaves no number");
    }

    @Test
    void controlCharactersDoNotBreakTheOneLineMessage() {
        assertThatThrownBy(() -> LibvirtCpuList.parse("1\u0007\n,x\u009b", WHERE))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\u0007").doesNotContain("\u009b"));
    }
}
