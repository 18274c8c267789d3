package io.github.libvirthooks.sysfs.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcCgroupTest {
    @Test
    void theUnifiedLineWhereverItStandsAndNothingWithoutOne() {
        assertThat(ProcCgroup.unified("0::/user.slice/user-1000.slice/session-2.scope\n")).contains("/user.slice/user-1000.slice/session-2.scope");
        assertThat(ProcCgroup.unified("9:name=systemd:/\n4:memory:/x\n0::/\n")).contains("/");
        assertThat(ProcCgroup.unified("4:memory:/x\n1:name=systemd:/init.scope\n")).isEmpty();
        assertThat(ProcCgroup.unified("")).isEmpty();
    }
}
