package io.github.libvirthooks.features.engine;

import static io.github.libvirthooks.sysfs.hugetlb.HugePageSize.TWO_MIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.state.Damage;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.HostWriteListener;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.testkit.SimulatedHugePages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HookEngineTest {
    private static final String NR = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages";

    @TempDir
    Path tmp;
    SimulatedHugePages kernel;
    StateDirectory state;

    @BeforeEach
    void host() throws IOException {
        kernel = new SimulatedHugePages(tmp.resolve("host"), 1, TWO_MIB);
        Files.createDirectories(tmp.resolve("host/run/libvirt/qemu"));
        state = new StateDirectory(tmp.resolve("state"));
    }

    @Test
    void prepareReservesAndReleaseGivesBackExactly() {
        HookEngine engine = engine(kernel.host());
        Domain vm = vm("win10", 64);

        engine.run(event("win10", "prepare", "begin"), vm, vm.hooksConfig(), line -> { });
        assertThat(kernel.nr(TWO_MIB, 0)).isEqualTo(32);
        assertThat(state.fileFor("win10")).exists();

        engine.run(event("win10", "release", "end"), vm, vm.hooksConfig(), line -> { });
        assertThat(kernel.nr(TWO_MIB, 0)).isZero();
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void releaseIsIdempotentAndHarmlessWithoutState() {
        HookEngine engine = engine(kernel.host());
        Domain vm = vm("win10", 64);
        kernel.pages(TWO_MIB, 0, 5);
        engine.run(event("win10", "release", "end"), vm, vm.hooksConfig(), line -> { });
        engine.run(event("win10", "release", "end"), vm, vm.hooksConfig(), line -> { });
        assertThat(kernel.nr(TWO_MIB, 0)).isEqualTo(5);
    }

    @Test
    void aShortfallAbortsPrepareWithTheNumbersAndLeavesTheHostAsFound() {
        kernel.limitAllocatable(TWO_MIB, 0, 10);
        HookEngine engine = engine(kernel.host());
        Domain vm = vm("big", 64);

        assertThatThrownBy(() -> engine.run(event("big", "prepare", "begin"), vm, vm.hooksConfig(), line -> { }))
                .isInstanceOf(HookFailure.class)
                .satisfies(e -> assertThat(((HookFailure) e).abortsVm()).isTrue())
                .hasMessageContaining("hugepages: need 32 x 2 MiB pages, kernel reserved 10")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(kernel.nr(TWO_MIB, 0)).isZero();

        // libvirt still runs release after a failed prepare: it must change nothing.
        engine.run(event("big", "release", "end"), vm, vm.hooksConfig(), line -> { });
        assertThat(kernel.nr(TWO_MIB, 0)).isZero();
    }

    @Test
    void freePagesNobodyClaimedAreUsedBeforeReservingMore() {
        kernel.pages(TWO_MIB, 0, 20);
        HookEngine engine = engine(kernel.host());
        Domain vm = vm("a", 64);
        engine.run(event("a", "prepare", "begin"), vm, vm.hooksConfig(), line -> { });
        assertThat(kernel.nr(TWO_MIB, 0)).isEqualTo(32);
        engine.run(event("a", "release", "end"), vm, vm.hooksConfig(), line -> { });
        assertThat(kernel.nr(TWO_MIB, 0)).isEqualTo(20);
    }

    @Test
    void twoVmsStartingTogetherEachGetTheirOwnPagesAndGiveBackOnlyTheirs() {
        HookEngine engine = engine(kernel.host());
        Domain a = vm("a", 64);
        Domain b = vm("b", 32);

        engine.run(event("a", "prepare", "begin"), a, a.hooksConfig(), line -> { });
        // a's QEMU has not mapped its pages yet: they look free, but they are promised to a.
        engine.run(event("b", "prepare", "begin"), b, b.hooksConfig(), line -> { });
        assertThat(kernel.nr(TWO_MIB, 0)).isEqualTo(48);

        kernel.inUse(TWO_MIB, 0, 48);
        engine.run(event("a", "release", "end"), a, a.hooksConfig(), line -> { });
        assertThat(kernel.nr(TWO_MIB, 0)).as("a's pages are still mapped by a QEMU that is shutting down").isEqualTo(48);
        kernel.inUse(TWO_MIB, 0, 16);
        engine.run(event("a", "release", "end"), a, a.hooksConfig(), line -> { });
        engine.run(event("b", "release", "end"), b, b.hooksConfig(), line -> { });
        kernel.inUse(TWO_MIB, 0, 0);
        engine.run(event("b", "release", "end"), b, b.hooksConfig(), line -> { });
        assertThat(kernel.nr(TWO_MIB, 0)).isZero();
    }

    @Test
    void everyWriteIsJournaledBeforeItReachesTheHost() {
        List<Boolean> journaledFirst = new ArrayList<>();
        HostRoot watched = kernel.host().withListener(new HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) {
                journaledFirst.add(Files.exists(state.fileFor("win10")));
            }
        });
        Domain vm = vm("win10", 64);
        engine(watched).run(event("win10", "prepare", "begin"), vm, vm.hooksConfig(), line -> { });
        assertThat(journaledFirst).isNotEmpty().containsOnly(true);
    }

    @Test
    void restoreUndoesWhatACrashedRunLeft() {
        HookEngine engine = engine(kernel.host());
        Domain vm = vm("win10", 64);
        engine.run(event("win10", "prepare", "begin"), vm, vm.hooksConfig(), line -> { });
        List<String> lines = new ArrayList<>();

        engine.restore("win10", lines::add);

        assertThat(kernel.nr(TWO_MIB, 0)).isZero();
        assertThat(lines).anyMatch(l -> l.contains("32 of 32 pages given back"));
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void unconfiguredVmsAndEventsWithoutFeaturesTouchNothing() {
        HookEngine engine = engine(kernel.host());
        Domain plain = new DomainXmlParser().parse("<domain><name>plain</name><memory unit='MiB'>64</memory></domain>"
                .getBytes(StandardCharsets.UTF_8));
        HookOutcome outcome = engine.run(event("plain", "prepare", "begin"), plain, plain.hooksConfig(), line -> { });
        assertThat(outcome.applied()).isEmpty();
        Domain vm = vm("win10", 64);
        assertThat(engine.run(event("win10", "started", "begin"), vm, vm.hooksConfig(), line -> { }).report()).isEmpty();
        assertThat(kernel.seen()).isEmpty();
    }

    // --- another VM's journal cannot be read -------------------------------------------------

    @Test
    void aDamagedJournalOfAnotherVmRefusesHugepagesAtPrepareNamingTheFileAndChangesNothing() throws IOException {
        Path damaged = Damage.truncatedJournal(state, "other");
        byte[] damagedBytes = Files.readAllBytes(damaged);
        HookEngine engine = engine(kernel.host());
        Domain vm = vm("win10", 64);

        assertThatThrownBy(() -> engine.run(event("win10", "prepare", "begin"), vm, vm.hooksConfig(), line -> { }))
                .isInstanceOf(HookFailure.class)
                .satisfies(e -> assertThat(((HookFailure) e).abortsVm()).isTrue())
                .hasCauseInstanceOf(DamagedJournalException.class)
                .hasMessageStartingWith("hugepages: cannot count the other VMs' claims: the journal " + damaged
                        + " cannot be read (truncated journal (no valid end line))")
                .hasMessageContaining("run 'libvirt-hooks restore --vm other' while other is not running")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(kernel.seen()).as("not one host write").isEmpty();
        assertThat(kernel.nr(TWO_MIB, 0)).isZero();
        assertThat(state.fileFor("win10")).doesNotExist();
        assertThat(Files.readAllBytes(damaged)).as("the damaged journal is evidence: left as it is").isEqualTo(damagedBytes);
    }

    @Test
    void aRefusalAfterAnotherFeatureChangedTheHostRollsThatChangeBack() throws IOException {
        kernel.write(SWAPPINESS, "60");
        Damage.truncatedJournal(state, "other");
        HookEngine engine = new HookEngine(kernel.host(), CommandRunner.system(), state,
                List.of(new WritesSwappiness(), new io.github.libvirthooks.features.hugepages.HugepagesFeature()),
                Duration.ofSeconds(5), Clock.systemUTC());
        Domain vm = vm("win10", 64);
        java.util.Map<String, java.util.Map<String, String>> enabled = new java.util.HashMap<>(vm.hooksConfig());
        enabled.put("swappiness", java.util.Map.of());
        List<String> lines = new ArrayList<>();

        assertThatThrownBy(() -> engine.run(event("win10", "prepare", "begin"), vm, enabled, lines::add))
                .hasMessageStartingWith("hugepages: cannot count the other VMs' claims")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("rollback incomplete"));

        assertThat(lines).contains("change swappiness: " + SWAPPINESS + " = 10 (was 60)", "undo   swappiness: " + SWAPPINESS
                + " = 60 (was 10)");
        assertThat(kernel.host().read(SWAPPINESS)).isEqualTo("60");
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void planRunsTheHookOnADryHostRefusingWithTheHooksMessageAndChangingNothing() {
        kernel.write(SWAPPINESS, "60");
        HookEngine engine = new HookEngine(kernel.host(), CommandRunner.system(), state,
                List.of(new WritesSwappiness(), new io.github.libvirthooks.features.hugepages.HugepagesFeature()),
                Duration.ofSeconds(5), Clock.systemUTC());
        Domain vm = vm("win10", 64);
        java.util.Map<String, java.util.Map<String, String>> enabled = new java.util.LinkedHashMap<>();
        enabled.put("swappiness", java.util.Map.of());
        enabled.put("hugepages", java.util.Map.of("timeout", "2m"));

        List<FeaturePlan> plans = engine.plan(HookRequest.of(event("win10", "prepare", "begin"), vm), enabled);

        assertThat(plans).extracting(FeaturePlan::feature).containsExactly("swappiness", "hugepages");
        assertThat(plans.get(0).writes()).containsExactly(new Change(SWAPPINESS, "60", "10"));
        assertThat(plans.get(1).effects()).containsKey("pools");
        assertThat(plans.get(1).writes()).singleElement().satisfies(w -> assertThat(w.after()).isEqualTo("32"));
        assertThat(kernel.host().read(SWAPPINESS)).isEqualTo("60");
        assertThat(kernel.nr(TWO_MIB, 0)).isZero();
        assertThat(state.fileFor("win10")).doesNotExist();

        enabled.put("hugepages", java.util.Map.of("timeout", "soon"));
        List<FeaturePlan> refused = engine.plan(HookRequest.of(event("win10", "prepare", "begin"), vm), enabled);
        Throwable hook = org.assertj.core.api.Assertions.catchThrowable(
                () -> engine.run(event("win10", "prepare", "begin"), vm, enabled, line -> { }));

        assertThat(refused.get(1).refused()).contains(hook.getMessage());
        assertThat(kernel.host().read(SWAPPINESS)).as("the hook rolled back").isEqualTo("60");
    }

    @Test
    void planAtReleaseShowsTheUndoOfTheJournalAndKeepsIt() {
        HookEngine engine = engine(kernel.host());
        Domain vm = vm("win10", 64);
        engine.run(event("win10", "prepare", "begin"), vm, vm.hooksConfig(), line -> { });

        List<FeaturePlan> plans = engine.plan(HookRequest.of(event("win10", "release", "end"), vm), java.util.Map.of());

        assertThat(plans).singleElement().satisfies(p -> {
            assertThat(p.refused()).isEmpty();
            assertThat(p.writes()).singleElement().satisfies(w -> assertThat(w.after()).isEqualTo("0"));
            assertThat(p.notes()).anyMatch(l -> l.startsWith("undo   hugepages:"));
        });
        assertThat(kernel.nr(TWO_MIB, 0)).isEqualTo(32);
        assertThat(state.load("win10", vm.uuid()).entries()).isNotEmpty();
    }

    @Test
    void aPlantedJournalCannotMakeReleaseWriteOutsideTheKernelInterfaces() throws IOException {
        Path outside = Files.createDirectories(tmp.resolve("host/etc"));
        Files.writeString(outside.resolve("passwd"), "root:x:0:0::/root:/bin/bash\n");
        kernel.write(SWAPPINESS, "10");
        Domain vm = vm("win10", 64);
        state.save(io.github.libvirthooks.features.state.VmJournal.empty("win10", vm.uuid())
                .append(io.github.libvirthooks.features.state.JournalEntry.change("swappiness", new Change(SWAPPINESS, "60", "10")),
                        java.time.Instant.EPOCH)
                .append(io.github.libvirthooks.features.state.JournalEntry.change("swappiness",
                        new Change("/etc/passwd", "evil::0:0::/:/bin/sh", "root:x:0:0::/root:/bin/bash")), java.time.Instant.EPOCH)
                .append(io.github.libvirthooks.features.state.JournalEntry.change("swappiness",
                        new Change("/sys/../etc/passwd", "evil", "x")), java.time.Instant.EPOCH));

        HookOutcome outcome = engine(kernel.host()).run(event("win10", "release", "end"), vm, Map.of(), line -> { });

        assertThat(outcome.warnings()).hasSize(2).allMatch(w -> w.contains("a journal may only undo changes to /sys/, /proc/sys/, /proc/irq/"));
        assertThat(Files.readString(outside.resolve("passwd"))).startsWith("root:x:0:0");
        assertThat(kernel.host().read(SWAPPINESS)).as("the real kernel change is still undone").isEqualTo("60");
    }

    @Test
    void releaseWithADamagedOtherJournalGivesBackExactlyThePagesThisVmAdded() {
        HookEngine engine = engine(kernel.host());
        Domain a = vm("a", 64);
        Domain b = vm("b", 32);
        engine.run(event("b", "prepare", "begin"), b, b.hooksConfig(), line -> { });
        engine.run(event("a", "prepare", "begin"), a, a.hooksConfig(), line -> { });
        assertThat(kernel.nr(TWO_MIB, 0)).isEqualTo(48);
        Damage.cutEndLine(state.fileFor("b"));
        List<String> lines = new ArrayList<>();

        HookOutcome outcome = engine.run(event("a", "release", "end"), a, a.hooksConfig(), lines::add);

        assertThat(outcome.warnings()).isEmpty();
        assertThat(kernel.nr(TWO_MIB, 0)).as("b's 16 pages stay, a's 32 are back").isEqualTo(16);
        assertThat(lines).anyMatch(l -> l.contains("32 of 32 pages given back"))
                .anyMatch(l -> l.startsWith("info   hugepages: gave back only the pages a's own claim added")
                        && l.contains(state.fileFor("b").toString()));
        assertThat(state.fileFor("a")).doesNotExist();
    }

    private static final String SWAPPINESS = "/proc/sys/vm/swappiness";

    /** A feature that changes a plain host file, journaled by the engine, before hugepages runs. */
    private static final class WritesSwappiness implements Feature {
        @Override
        public String name() {
            return "swappiness";
        }

        @Override
        public java.util.Set<HookOperation> actsOn() {
            return java.util.Set.of(HookOperation.PREPARE);
        }

        @Override
        public void apply(FeatureContext context) {
            context.host().write(SWAPPINESS, "10");
        }
    }

    private HookEngine engine(HostRoot host) {
        return new HookEngine(host, CommandRunner.system(), state, FeatureCatalog.builtInOnly().all(), Duration.ofSeconds(5), Clock.systemUTC());
    }

    private static HookInvocation event(String vm, String op, String sub) {
        return HookInvocation.parse(List.of("qemu", vm, op, sub, "-"));
    }

    private static Domain vm(String name, int mib) {
        String xml = "<domain type='kvm'><name>" + name + "</name><memory unit='MiB'>" + mib + "</memory>"
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'><hugepages timeout='0s'/></hooks></metadata>"
                + "<memoryBacking><hugepages/></memoryBacking></domain>";
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void moreThanTheAvailableMemoryIsRefusedBeforeAnyWrite() throws IOException {
        kernel.write("/proc/meminfo", "MemTotal: 1024000 kB\nMemFree: 10240 kB\nMemAvailable: 40960 kB\n");
        HookEngine engine = engine(kernel.host());
        Domain vm = vm("huge", 64);

        assertThatThrownBy(() -> engine.run(event("huge", "prepare", "begin"), vm, vm.hooksConfig(), line -> { }))
                .hasMessageContaining("need 32 more x 2 MiB pages (64 MiB) for huge, but only 40 MiB of memory is available");
        assertThat(kernel.seen()).isEmpty();
        assertThat(state.fileFor("huge")).doesNotExist();
    }
}
