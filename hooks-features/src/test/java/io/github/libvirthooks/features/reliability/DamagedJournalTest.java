package io.github.libvirthooks.features.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.state.Damage;
import io.github.libvirthooks.testkit.FakeHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Another VM's journal cannot be read: its claims are unknown, never zero. Every documented
 * scenario, through the hook's own entry on the whole fake host: the features that count shared
 * claims refuse at prepare and leave the host byte for byte as found, and a release keeps what
 * the damaged VM may share, exits 0 and says so.
 */
class DamagedJournalTest {
    @TempDir
    Path tmp;

    @Test
    void everyScenarioThatCountsSharedClaimsRefusesAtPrepareAndLeavesTheHostAsFound() throws IOException {
        int refused = 0;
        List<String> problems = new ArrayList<>();
        for (Scenario scenario : Scenario.documented()) {
            Lifecycle life = new Lifecycle(scenario, tmp.resolve(scenario.name()));
            Path damaged = Damage.truncatedJournal(life.state, "other");
            byte[] evidence = Files.readAllBytes(damaged);
            TreeSnapshot before = TreeSnapshot.of(life.tree);

            Lifecycle.HookResult prepare = life.hook(Steps.counting(), "prepare");

            boolean counts = scenario.hooks().contains("<hugepages") || scenario.hooks().contains("<isolcpu");
            if (!counts) {
                assertThat(prepare.status()).as(scenario.name()).isZero();
                continue;
            }
            refused++;
            assertThat(prepare.status()).as(scenario.name()).isEqualTo(1);
            assertThat(prepare.stderr().strip()).as(scenario.name()).doesNotContain("\n")
                    .contains("cannot count the other VMs' claims: the journal " + damaged + " cannot be read")
                    .contains("'libvirt-hooks restore --vm other'");
            List<String> diff = TreeSnapshot.of(life.tree).diff(before);
            if (!diff.isEmpty()) {
                problems.add(scenario.name() + ": " + diff);
            }
            assertThat(life.journals()).as(scenario.name()).containsExactly(damaged.getFileName().toString());
            assertThat(Files.readAllBytes(damaged)).isEqualTo(evidence);
        }
        assertThat(problems).isEmpty();
        assertThat(refused).isEqualTo(Scenario.documented().size() - 1);
        Figures.print("damaged-other-journal", "scenarios", Scenario.documented().size(), "refused", refused, "diffs", problems.size());
    }

    @Test
    void cfscpuLeavesRtThrottlingAloneButStillSchedulesTheVcpuThreads() {
        Scenario scenario = named("cfscpu");
        Lifecycle life = new Lifecycle(scenario, tmp);
        TreeSnapshot before = TreeSnapshot.of(life.tree);
        Damage.truncatedJournal(life.state, "other");

        life.run(Steps.counting(), "prepare");
        List<String> lines = new ArrayList<>();
        life.tree.spawnQemu(Scenario.VM, Scenario.QEMU_ID, Scenario.QEMU_PID, Scenario.VCPUS);
        life.engine(Steps.counting()).run(Lifecycle.event(Scenario.VM, "started"), life.domain, life.domain.hooksConfig(), lines::add);

        assertThat(life.tree.read(FakeHost.RT_RUNTIME).strip()).isEqualTo("950000");
        assertThat(lines).anyMatch(l -> l.startsWith("warn   cfscpu: RT throttling left as it is: cannot count the other VMs' claims"))
                .anyMatch(l -> l.startsWith("change cfscpu: cpu.weight = 200"));
        List<io.github.libvirthooks.features.state.JournalEntry> entries = life.state.load(Scenario.VM, "").entries();
        assertThat(entries).filteredOn(e -> e.kind() != io.github.libvirthooks.features.state.JournalEntry.Kind.STEP)
                .extracting(e -> e.key()).containsExactly("cpu.weight");
        // The weights it wrote are journaled as steps of that one claim.
        assertThat(entries).filteredOn(e -> e.kind() == io.github.libvirthooks.features.state.JournalEntry.Kind.STEP)
                .isNotEmpty().allSatisfy(e -> assertThat(e.values()).containsEntry("claim", "cpu.weight"));

        life.stopped(Steps.counting());
        assertThat(life.hook(Steps.counting(), "release").status()).isZero();
        assertThat(TreeSnapshot.of(life.tree).diff(before)).isEmpty();
        assertThat(life.state.fileFor(Scenario.VM)).doesNotExist();
    }

    @Test
    void releaseExitsZeroGivesBackThePagesKeepsWhatIsSharedAndRestoreFinishesOnceTheFileIsGone() throws IOException {
        Scenario scenario = named("hugepages+isolcpu+cfscpu");
        Lifecycle life = new Lifecycle(scenario, tmp);
        TreeSnapshot before = TreeSnapshot.of(life.tree);
        life.run(Steps.counting(), "prepare");
        life.started(Steps.counting());
        TreeSnapshot running = TreeSnapshot.of(life.tree);
        life.stopped(Steps.counting());
        Path damaged = Damage.truncatedJournal(life.state, "other");

        Lifecycle.HookResult release = life.hook(Steps.counting(), "release");

        assertThat(release.status()).as("the stop path never fails").isZero();
        assertThat(release.stderr()).contains("warning: isolcpu: cannot undo cpus: left as it is, win10 may not be the last VM"
                        + " sharing it: the journal " + damaged + " cannot be read")
                .contains("warning: cfscpu: cannot undo sched_rt_runtime_us: left as it is")
                .contains("run 'libvirt-hooks restore --vm win10' later");
        assertThat(life.tree.read(FakeHost.RT_RUNTIME).strip()).isEqualTo("-1");
        assertThat(life.tree.read("/sys/fs/cgroup/system.slice/cpuset.cpus").strip()).isEqualTo("0-1,4-5");
        assertThat(life.tree.read("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages").strip())
                .as("this VM's own pages are given back").isEqualTo("0");
        assertThat(running.diff(before)).isNotEmpty();

        // Dealt with by hand: the other VM is known to be gone, its journal deleted.
        Files.delete(damaged);
        assertThat(life.restore(Steps.counting()).warnings()).isEmpty();
        assertThat(TreeSnapshot.of(life.tree).diff(before)).isEmpty();
        assertThat(life.journals()).isEmpty();
    }

    private static Scenario named(String name) {
        return Scenario.documented().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }
}
