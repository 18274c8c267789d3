package io.github.libvirthooks.sysfs.kernel;

import io.github.libvirthooks.sysfs.FakeTree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostAccessException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelSysctlTest {
    @TempDir
    Path tmp;

    private FakeTree tree() {
        return new FakeTree(tmp)
                .file(KernelSysctl.SCHED_RT_RUNTIME_US, "950000")
                .file(KernelSysctl.SCHED_RT_PERIOD_US, "1000000")
                .file(KernelSysctl.TIMER_MIGRATION, "1");
    }

    @Test
    void timerMigrationIsOfferedOnlyWhereTheKernelHasIt() {
        assertThat(new KernelSysctl(tree().host()).offersTimerMigration()).isTrue();
        assertThat(new KernelSysctl(new FakeTree(tmp.resolve("bare")).dir("/sys").host()).offersTimerMigration()).isFalse();
    }

    @Test
    void readsKnobs() {
        KernelSysctl sysctl = new KernelSysctl(tree().host());

        assertThat(sysctl.schedRtRuntimeUs()).isEqualTo(950_000);
        assertThat(sysctl.timerMigration()).isTrue();
    }

    @Test
    void setRtRuntimeToUnlimited() {
        FakeTree tree = tree();
        Change change = new KernelSysctl(tree.host()).setSchedRtRuntimeUs(-1);

        assertThat(change).isEqualTo(new Change(KernelSysctl.SCHED_RT_RUNTIME_US, "950000", "-1"));
        assertThat(tree.content(KernelSysctl.SCHED_RT_RUNTIME_US)).isEqualTo("-1");
        assertThat(new KernelSysctl(tree.host()).schedRtRuntimeUs()).isEqualTo(-1);
    }

    @Test
    void rtRuntimeMustNotExceedThePeriodNorGoBelowMinusOne() {
        KernelSysctl sysctl = new KernelSysctl(tree().host());

        assertThatThrownBy(() -> sysctl.setSchedRtRuntimeUs(1_000_001))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must not exceed sched_rt_period_us (1000000)");
        assertThatThrownBy(() -> sysctl.setSchedRtRuntimeUs(-2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1 (no limit)");
        assertThat(sysctl.setSchedRtRuntimeUs(1_000_000).after()).isEqualTo("1000000");
    }

    @Test
    void setTimerMigration() {
        FakeTree tree = tree();

        assertThat(new KernelSysctl(tree.host()).setTimerMigration(false))
                .isEqualTo(new Change(KernelSysctl.TIMER_MIGRATION, "1", "0"));
        assertThat(new KernelSysctl(tree.host()).timerMigration()).isFalse();
    }

    @Test
    void garbageTimerMigrationIsReported() {
        FakeTree tree = new FakeTree(tmp).file(KernelSysctl.TIMER_MIGRATION, "2");

        assertThatThrownBy(() -> new KernelSysctl(tree.host()).timerMigration())
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("expected 0 or 1, found 2");
    }

    @Test
    void missingKnobsSayTheKernelLacksThem() {
        KernelSysctl sysctl = new KernelSysctl(new FakeTree(tmp).dir("/proc/sys/kernel").host());

        assertThatThrownBy(sysctl::timerMigration)
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("does not support timer migration");
        assertThatThrownBy(() -> sysctl.setSchedRtRuntimeUs(-1))
                .isInstanceOf(HostAccessException.class)
                .hasMessageContaining("does not support RT throttling");
    }
}
