package io.github.libvirthooks.features.hugepages;

import static io.github.libvirthooks.sysfs.hugetlb.HugePageSize.ONE_GIB;
import static io.github.libvirthooks.sysfs.hugetlb.HugePageSize.TWO_MIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.hugepages.HugepagesClaim.Phase;
import io.github.libvirthooks.sysfs.hugetlb.HugePagePool;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HugepagesClaimTest {
    private static final HugePagePool NODE1 = HugePagePool.onNode(TWO_MIB, 1);
    private static final HugePagePool GLOBAL = HugePagePool.global(ONE_GIB);

    @Test
    void everyPhaseSurvivesTheJournal() {
        for (HugepagesClaim claim : new HugepagesClaim[] {
                HugepagesClaim.reserving(NODE1, 512, 502, 10),
                HugepagesClaim.reserving(GLOBAL, 4, 0, 4),
                HugepagesClaim.reserving(NODE1, 512, 502, 10).held(500),
                HugepagesClaim.reserving(NODE1, 512, 502, 10).releasing(500, 510)}) {
            String resource = HugepagesClaim.CODEC.resource(claim);
            assertThat(HugepagesClaim.CODEC.decode(resource, HugepagesClaim.CODEC.encode(claim))).isEqualTo(claim);
        }
    }

    @Test
    void decodesTheClaimsTodaysJournalsHold() {
        assertThat(HugepagesClaim.CODEC.decode("hugepages-2048kB:node1",
                Map.of("needed", "512", "added", "502", "base", "10", "phase", "reserving")))
                .isEqualTo(new HugepagesClaim(NODE1, 512, 502, 10, Phase.RESERVING, 0));
        assertThat(HugepagesClaim.CODEC.decode("hugepages-1048576kB", Map.of("needed", "4", "added", "4", "base", "0", "phase", "held")))
                .isEqualTo(new HugepagesClaim(GLOBAL, 4, 4, 0, Phase.HELD, 0));
        assertThat(HugepagesClaim.CODEC.decode("hugepages-2048kB:node1",
                Map.of("needed", "512", "added", "502", "base", "10", "phase", "releasing", "from", "512")))
                .isEqualTo(new HugepagesClaim(NODE1, 512, 502, 10, Phase.RELEASING, 512));
        assertThat(HugepagesClaim.CODEC.encode(new HugepagesClaim(NODE1, 512, 502, 10, Phase.RELEASING, 512)))
                .containsExactlyInAnyOrderEntriesOf(Map.of("needed", "512", "added", "502", "base", "10", "phase", "releasing",
                        "from", "512"));
    }

    @Test
    void aClaimWrittenBeforePhasesExistedIsHeld() {
        assertThat(HugepagesClaim.CODEC.decode("hugepages-2048kB", Map.of("added", "16", "needed", "16")))
                .isEqualTo(new HugepagesClaim(HugePagePool.global(TWO_MIB), 16, 16, 0, Phase.HELD, 0));
    }

    @Test
    void aMissingOrMalformedValueIsRefusedByName() {
        assertThatThrownBy(() -> HugepagesClaim.CODEC.decode("hugepages-2048kB", Map.of("needed", "16", "phase", "held")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'added'");
        assertThatThrownBy(() -> HugepagesClaim.CODEC.decode("hugepages-2048kB", Map.of("needed", "16", "added", "x16")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("added='x16'");
        assertThatThrownBy(() -> HugepagesClaim.CODEC.decode("hugepages-2048kB",
                Map.of("needed", "16", "added", "16", "base", "0", "phase", "taken")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("phase='taken'");
        assertThatThrownBy(() -> HugepagesClaim.CODEC.decode("hugepages-2048kB",
                Map.of("needed", "16", "added", "16", "phase", "reserving")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'base'");
        assertThatThrownBy(() -> HugepagesClaim.CODEC.decode("hugepages-2048kB",
                Map.of("needed", "16", "added", "16", "base", "0", "phase", "releasing")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'from'");
        assertThatThrownBy(() -> HugepagesClaim.CODEC.decode("hugepages-2048kB", Map.of("needed", "16", "added", "-16")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("added=-16");
        assertThatThrownBy(() -> HugepagesClaim.CODEC.decode("hugepages-2048kB:nodeX", Map.of("needed", "16", "added", "16")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hugepages-2048kB:nodeX");
    }

    @Test
    void onlyWhatThePoolGrewOrStillHoldsIsOutstanding() {
        HugepagesClaim reserving = HugepagesClaim.reserving(NODE1, 512, 502, 10);
        assertThat(reserving.outstanding(10)).as("died before the write").isZero();
        assertThat(reserving.outstanding(300)).as("died half-way").isEqualTo(290);
        assertThat(reserving.outstanding(900)).as("others grew it too").isEqualTo(502);
        assertThat(reserving.held(502).outstanding(0)).isEqualTo(502);
        HugepagesClaim releasing = reserving.held(502).releasing(502, 512);
        assertThat(releasing.outstanding(512)).as("died before the write").isEqualTo(502);
        assertThat(releasing.outstanding(100)).as("died half-way").isEqualTo(90);
        assertThat(releasing.outstanding(10)).isZero();
    }

    @Test
    void statusShowsThePoolAndThePagesInUsersWords() {
        assertThat(HugepagesClaim.CODEC.describe(HugepagesClaim.reserving(NODE1, 512, 502, 10).held(502)))
                .containsExactly(Map.entry("pool size", "2 MiB"), Map.entry("node", "1"), Map.entry("pages needed", "512"),
                        Map.entry("pages added", "502"), Map.entry("phase", "held"));
        assertThat(HugepagesClaim.CODEC.describe(HugepagesClaim.reserving(GLOBAL, 4, 0, 4))).containsEntry("node", "any")
                .containsEntry("pool size", "1 GiB");
    }
}
