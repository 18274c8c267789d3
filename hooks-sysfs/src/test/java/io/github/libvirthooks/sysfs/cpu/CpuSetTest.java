package io.github.libvirthooks.sysfs.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CpuSetTest {
    @Test
    void parsesTheKernelListFormat() {
        assertThat(CpuSet.parseList("0-3,8-11")).isEqualTo(CpuSet.range(0, 3).union(CpuSet.range(8, 11)));
        assertThat(CpuSet.parseList(" 2 , 5-6\n")).isEqualTo(CpuSet.of(2, 5, 6));
        assertThat(CpuSet.parseList("0-7:2")).isEqualTo(CpuSet.of(0, 2, 4, 6));
        assertThat(CpuSet.parseList("\n")).isEqualTo(CpuSet.empty());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0-3,8-11", "0", "1,3,5", "0-63", "4095", ""})
    void formatsTheListFormatExactlyAsParsed(String text) {
        assertThat(CpuSet.parseList(text).toList()).isEqualTo(text);
    }

    @Test
    void collapsesAdjacentNumbersIntoRanges() {
        assertThat(CpuSet.parseList("3,0,1,2,5").toList()).isEqualTo("0-3,5");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "1-", "-1", "3-1", "1,,2", "1 2", "0x3", "9999", "1-2:0", "4:2", "+1"})
    void rejectsMalformedListsNamingTheText(String text) {
        assertThatThrownBy(() -> CpuSet.parseList(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid cpu list '" + text.strip() + "'");
    }

    @Test
    void parsesHexMasksWithCommaSeparatedGroups() {
        assertThat(CpuSet.parseMask("ff")).isEqualTo(CpuSet.range(0, 7));
        assertThat(CpuSet.parseMask("00000001,00000000\n")).isEqualTo(CpuSet.of(32));
        assertThat(CpuSet.parseMask("80000000,00000003")).isEqualTo(CpuSet.of(0, 1, 63));
        assertThat(CpuSet.parseMask("0x5")).isEqualTo(CpuSet.of(0, 2));
        assertThat(CpuSet.parseMask("0")).isEqualTo(CpuSet.empty());
    }

    @Test
    void formatsMasksAsTheKernelPrintsThem() {
        assertThat(CpuSet.range(0, 7).toMask(8)).isEqualTo("ff");
        assertThat(CpuSet.of(0, 1).toMask(2)).isEqualTo("3");
        assertThat(CpuSet.of(1).toMask(4)).isEqualTo("2");
        assertThat(CpuSet.of(0, 1, 63).toMask(64)).isEqualTo("80000000,00000003");
        assertThat(CpuSet.of(32).toMask(36)).isEqualTo("1,00000000");
        assertThat(CpuSet.empty().toMask(12)).isEqualTo("000");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ff", "00000000,000000ff", "80000000,00000003", "1,00000000", "000"})
    void masksRoundTripExactly(String mask) {
        int width = mask.contains(",") ? 32 * (mask.split(",").length - 1) + 4 * mask.split(",")[0].length() : 4 * mask.length();
        assertThat(CpuSet.parseMask(mask).toMask(width)).isEqualTo(mask);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "xyz", "ff,", "123456789,00000000", "0x"})
    void rejectsMalformedMasks(String text) {
        assertThatThrownBy(() -> CpuSet.parseMask(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid cpu mask");
    }

    @Test
    void refusesAMaskTooNarrowForTheSet() {
        assertThatThrownBy(() -> CpuSet.of(9).toMask(8)).hasMessageContaining("does not fit");
    }

    @Test
    void setAlgebra() {
        CpuSet all = CpuSet.range(0, 7);
        CpuSet vm = CpuSet.parseList("2-3,6-7");
        CpuSet host = all.difference(vm);

        assertThat(host.toList()).isEqualTo("0-1,4-5");
        assertThat(host.union(vm)).isEqualTo(all);
        assertThat(host.intersects(vm)).isFalse();
        assertThat(all.containsAll(vm)).isTrue();
        assertThat(vm.contains(6)).isTrue();
        assertThat(vm.contains(5)).isFalse();
        assertThat(vm.size()).isEqualTo(4);
        assertThat(all.intersection(vm)).isEqualTo(vm);
        assertThat(vm.last()).isEqualTo(7);
    }
}
