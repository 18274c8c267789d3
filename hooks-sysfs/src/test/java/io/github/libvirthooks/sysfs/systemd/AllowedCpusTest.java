package io.github.libvirthooks.sysfs.systemd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.FakeTree;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import io.github.libvirthooks.sysfs.exec.CommandException;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AllowedCpusTest {
    @TempDir
    Path tmp;

    private final List<List<String>> ran = new ArrayList<>();

    private CommandRunner printing(String stdout) {
        return (argv, timeout) -> {
            ran.add(argv);
            return new CommandResult(argv, 0, stdout, "");
        };
    }

    @Test
    void readsTheUnitsPropertyAsACpuSetAndEmptyAsEveryCpu() {
        assertThat(new AllowedCpus(printing("0-1,4-5\n")).read("system.slice")).isEqualTo(CpuSet.parseList("0-1,4-5"));
        assertThat(new AllowedCpus(printing("\n")).read("user.slice")).isEqualTo(CpuSet.empty());
        // What systemd 252 really prints (seen in the lab guest): ranges separated by blanks.
        assertThat(new AllowedCpus(printing("0 2-3\n")).read("user.slice")).isEqualTo(CpuSet.parseList("0,2-3"));
        assertThat(ran.get(0)).containsExactly("systemctl", "show", "-p", "AllowedCPUs", "--value", "system.slice");
    }

    @Test
    void anOldSystemdThatPrintsNoCpuListIsACommandErrorNamingTheFix() {
        assertThatThrownBy(() -> new AllowedCpus(printing("[not set]\n")).read("system.slice"))
                .isInstanceOf(CommandException.class).hasMessageContaining("older than 244").hasMessageContaining("backend=cgroup");
    }

    @Test
    void setsForThisBootOnlyAndEmptyResets() {
        AllowedCpus allowed = new AllowedCpus(printing(""));
        allowed.set("init.scope", CpuSet.parseList("0-1,4-5"));
        allowed.set("init.scope", CpuSet.empty());
        assertThat(ran).containsExactly(
                List.of("systemctl", "set-property", "--runtime", "init.scope", "AllowedCPUs=0-1,4-5"),
                List.of("systemctl", "set-property", "--runtime", "init.scope", "AllowedCPUs="));
    }

    @Test
    void refusesWhatIsNotAUnitNameBeforeRunningAnything() {
        AllowedCpus allowed = new AllowedCpus(printing(""));
        assertThatThrownBy(() -> allowed.set("--help.slice", CpuSet.empty())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> allowed.read("system.slice; reboot")).isInstanceOf(IllegalArgumentException.class);
        assertThat(ran).isEmpty();
    }

    @Test
    void bootedWhenSystemdsRuntimeDirectoryExists() {
        FakeTree tree = new FakeTree(tmp);
        assertThat(AllowedCpus.booted(tree.host())).isFalse();
        tree.dir("/run/systemd/system");
        assertThat(AllowedCpus.booted(tree.host())).isTrue();
    }
}
