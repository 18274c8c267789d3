package io.github.libvirthooks.sysfs.hugetlb;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.github.libvirthooks.sysfs.hugetlb.HugePageSize.ONE_GIB;
import static io.github.libvirthooks.sysfs.hugetlb.HugePageSize.TWO_MIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HugePageSizeTest {
    @Test
    void wellKnownSizesAreInBytes() {
        assertThat(TWO_MIB.bytes()).isEqualTo(2_097_152L);
        assertThat(ONE_GIB.bytes()).isEqualTo(1_073_741_824L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"hugepages-2048kB", "hugepages-1048576kB", "hugepages-64kB", "hugepages-32768kB", "hugepages-16777216kB"})
    void directoryNamesRoundTripExactly(String name) {
        assertThat(HugePageSize.parseDirectoryName(name).directoryName()).isEqualTo(name);
    }

    @Test
    void directoryNameParsesToBytes() {
        assertThat(HugePageSize.parseDirectoryName("hugepages-2048kB")).isEqualTo(TWO_MIB);
        assertThat(HugePageSize.parseDirectoryName("hugepages-1048576kB")).isEqualTo(ONE_GIB);
    }

    @ParameterizedTest
    @ValueSource(strings = {"hugepages-2048KB", "hugepages-2MB", "hugepages-", "hugepages-02048kB", "2048kB", "hugepages-2048kB ",
            "hugepages-3000kB", "hugepages-99999999999999999999kB"})
    void malformedDirectoryNamesAreRefused(String name) {
        assertThatThrownBy(() -> HugePageSize.parseDirectoryName(name))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + name + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"2M", "2MiB", "2MB", "2m", "2048k", "2048kB", "2048KiB", "2 MiB", " 2M "})
    void userSpellingsOfTwoMebibytes(String text) {
        assertThat(HugePageSize.parse(text)).isEqualTo(TWO_MIB);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1G", "1GiB", "1GB", "1g", "1024M", "1048576kB"})
    void userSpellingsOfOneGibibyte(String text) {
        assertThat(HugePageSize.parse(text)).isEqualTo(ONE_GIB);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2", "2048", "", "M", "2X", "2 M B", "-2M", "3M", "4k", "2.5M", "99999999999T"})
    void badUserSizesAreRefusedNamingTheText(String text) {
        assertThatThrownBy(() -> HugePageSize.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid hugepage size '" + text + "'");
    }

    @Test
    void bootParameterAndMessageSpelling() {
        assertThat(TWO_MIB.bootParameter()).isEqualTo("2M");
        assertThat(ONE_GIB.bootParameter()).isEqualTo("1G");
        assertThat(HugePageSize.parse("64k").bootParameter()).isEqualTo("64K");
        assertThat(TWO_MIB).hasToString("2 MiB");
        assertThat(ONE_GIB).hasToString("1 GiB");
        assertThat(HugePageSize.parse(TWO_MIB.toString())).isEqualTo(TWO_MIB);
        assertThat(TWO_MIB.kilobytes()).isEqualTo(2048);
        assertThat(TWO_MIB.bytesOf(3)).isEqualTo(6L << 20);
    }

    @Test
    void sizesOrderBySize() {
        assertThat(TWO_MIB).isLessThan(ONE_GIB);
    }

    @Test
    void constructorRefusesImpossibleSizes() {
        assertThatThrownBy(() -> new HugePageSize(3 << 20)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HugePageSize(4096)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HugePageSize(-2)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDirectoryNameIsReadAsTheKernelsShapeHugepagesNkB() {
        java.util.regex.Pattern shape = java.util.regex.Pattern.compile("hugepages-([1-9][0-9]*)kB");
        java.util.Random random = new java.util.Random(21);
        java.util.List<String> names = new java.util.ArrayList<>(java.util.List.of("hugepages-2048kB", "hugepages-kB", "hugepages-0kB",
                "hugepages-02048kB", "hugepages-2048KB", "hugepages-2048kBx", "xhugepages-2048kB", "hugepages-1048576kB",
                "hugepages-99999999999999999999kB", "hugepages-64kB", "hugepages-63kB"));
        String alphabet = "0123456789kB-";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder middle = new StringBuilder();
            for (int j = random.nextInt(8); j > 0; j--) {
                middle.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            names.add("hugepages-" + middle + (random.nextBoolean() ? "kB" : ""));
        }
        for (String name : names) {
            boolean parsed;
            try {
                HugePageSize.parseDirectoryName(name);
                parsed = true;
            } catch (IllegalArgumentException e) {
                parsed = false;
            }
            // Every name the shape refuses is refused; of those it takes, the size checks refuse the impossible ones.
            if (!shape.matcher(name).matches()) {
                assertThat(parsed).as(name).isFalse();
            } else {
                long kib = name.length() > 30 ? -1 : Long.parseLong(name.substring(10, name.length() - 2));
                assertThat(parsed).as(name).isEqualTo(kib >= 64 && Long.bitCount(kib) == 1);
            }
        }
    }
}
