package io.github.libvirthooks.app;

import io.github.libvirthooks.features.hook.ExitCodes;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.state.StateDirectory;
import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainLauncher;
import io.quarkus.test.junit.main.QuarkusMainTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real command line, end to end, on a sandboxed host tree named in a config file. */
@QuarkusMainTest
class CommandsTest {
    Path dir;
    Path config;

    @BeforeEach
    void sandbox() throws IOException {
        dir = Files.createTempDirectory("cli");
        Path host = Files.createDirectories(dir.resolve("host"));
        Path pool = Files.createDirectories(host.resolve("sys/kernel/mm/hugepages/hugepages-2048kB"));
        for (String f : new String[] {"nr_hugepages", "free_hugepages", "resv_hugepages", "surplus_hugepages", "nr_overcommit_hugepages"}) {
            Files.writeString(pool.resolve(f), "0\n");
        }
        Files.createDirectories(host.resolve("proc/self"));
        Files.writeString(host.resolve("proc/self/mountinfo"),
                "30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n");
        config = dir.resolve("application.properties");
        Files.writeString(config, "libvirt-hooks.host-root=" + host + "\nlibvirt-hooks.state-dir=" + dir.resolve("state") + "\n");
    }

    @Test
    void statusJsonIsStableAndEmptyOnAFreshHost(QuarkusMainLauncher launcher) {
        LaunchResult r = launcher.launch("status", "--json", "--config", config.toString());
        assertThat(r.exitCode()).isZero();
        assertThat(r.getOutput()).contains("\"formatVersion\" : 2").contains("\"vms\" : [ ]").contains("\"cgroupVersion\" : \"v2\"")
                .contains("\"size\" : \"2 MiB\"");
    }

    @Test
    void planShowsTheMergedConfigurationAndWritesNothing(QuarkusMainLauncher launcher) throws IOException {
        Path xml = dir.resolve("vm.xml");
        Files.writeString(xml, "<domain><name>cli-vm</name><memory unit='MiB'>4</memory>"
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'><hugepages timeout='0s'/></hooks></metadata>"
                + "<memoryBacking><hugepages/></memoryBacking></domain>");
        LaunchResult plan = launcher.launch("plan", xml.toString(), "--config", config.toString());
        assertThat(plan.exitCode()).isZero();
        assertThat(plan.getOutput()).contains("enabled hugepages")
                .contains("hugepages: pools: 2 x 2048 KiB pages (global pool)")
                .contains("hugepages: write /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages = 2 (now 0)");
        LaunchResult json = launcher.launch("plan", xml.toString(), "--json", "--config", config.toString());
        assertThat(json.exitCode()).isZero();
        assertThat(json.getOutput()).contains("\"formatVersion\" : 1").contains("\"refused\" : { }")
                .contains("\"pools\" : [ {").contains("\"sizeKiB\" : 2048,").contains("\"node\" : null,").contains("\"pages\" : 2\n");
        assertThat(Files.readString(dir.resolve("host/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"))).isEqualTo("0\n");
        assertThat(new StateDirectory(dir.resolve("state")).fileFor("cli-vm")).doesNotExist();
    }

    @Test
    void planRefusesWhatTheHookRefusesWithItsMessageAndExitsOneWithCheck(QuarkusMainLauncher launcher) throws IOException {
        Path xml = dir.resolve("vm.xml");
        Files.writeString(xml, "<domain><name>cli-vm</name><memory unit='MiB'>4</memory>"
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'><hugepages size='3M'/></hooks></metadata>"
                + "<memoryBacking><hugepages/></memoryBacking></domain>");
        LaunchResult plan = launcher.launch("plan", xml.toString(), "--config", config.toString());
        assertThat(plan.exitCode()).as("plan did its job").isZero();
        assertThat(plan.getOutput()).contains("hugepages: refuses: invalid size '3M'");
        assertThat(launcher.launch("plan", xml.toString(), "--check", "--config", config.toString()).exitCode())
                .isEqualTo(ExitCodes.FAILED);
        LaunchResult json = launcher.launch("plan", xml.toString(), "--json", "--check", "--config", config.toString());
        assertThat(json.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(json.getOutput()).contains("\"refused\" : {\n    \"hugepages\" : \"hugepages: invalid size '3M'");
    }

    @Test
    void statusShowsADamagedJournalWithItsFileWhatIsWrongAndWhatToDo(QuarkusMainLauncher launcher) throws IOException {
        Path damaged = damagedJournalOf("other");

        LaunchResult text = launcher.launch("status", "--config", config.toString());
        assertThat(text.exitCode()).isZero();
        assertThat(text.getOutput()).doesNotContain("No VM has host changes applied")
                .contains("DAMAGED journal: " + damaged + ": truncated journal (no valid end line); until it is dealt with,"
                        + " features that count claims shared with other VMs refuse to start VMs")
                .contains("run 'libvirt-hooks restore --vm other' while other is not running");

        LaunchResult json = launcher.launch("status", "--json", "--config", config.toString());
        assertThat(json.exitCode()).isZero();
        assertThat(json.getOutput()).contains("\"damaged\" : [ \"" + damaged + ": truncated journal (no valid end line)\" ]")
                .contains("\"damagedJournals\" : [ {").contains("\"file\" : \"" + damaged + "\"")
                .contains("\"problem\" : \"truncated journal (no valid end line)\"").contains("\"vm\" : \"other\"");
    }

    @Test
    void planShowsTheRefusalAndTheDamagedJournal(QuarkusMainLauncher launcher) throws IOException {
        Path damaged = damagedJournalOf("other");
        Path xml = dir.resolve("vm.xml");
        Files.writeString(xml, "<domain><name>cli-vm</name><memory unit='MiB'>4</memory>"
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'><hugepages timeout='0s'/></hooks></metadata>"
                + "<memoryBacking><hugepages/></memoryBacking></domain>");

        LaunchResult plan = launcher.launch("plan", xml.toString(), "--config", config.toString());
        assertThat(plan.exitCode()).isZero();
        assertThat(plan.getOutput()).contains("hugepages: refuses: cannot count the other VMs' claims: the journal " + damaged
                + " cannot be read (truncated journal (no valid end line))").contains("DAMAGED journal: " + damaged);

        LaunchResult json = launcher.launch("plan", xml.toString(), "--json", "--config", config.toString());
        assertThat(json.getOutput()).contains("\"damagedJournals\" : [ {").contains("\"vm\" : \"other\"");
        assertThat(Files.readString(dir.resolve("host/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"))).isEqualTo("0\n");
    }

    @Test
    void restoreSaysItCannotUndoADamagedJournalAndFails(QuarkusMainLauncher launcher) throws IOException {
        Path damaged = damagedJournalOf("other");

        for (String[] args : new String[][] {{"restore"}, {"restore", "--vm", "other"}}) {
            LaunchResult r = launcher.launch(concat(args, "--config", config.toString()));
            assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(ExitCodes.FAILED);
            assertThat(r.getOutput()).doesNotContain("nothing to restore");
            assertThat(r.getErrorOutput()).contains("libvirt-hooks restore: cannot undo anything from " + damaged
                    + ": truncated journal (no valid end line); check by hand what other changed on the host and delete the file");
        }
        assertThat(damaged).as("evidence, for the user to look at").exists();
    }

    /** A journal as a cut write leaves it: the header names the VM, the end line is missing. */
    private Path damagedJournalOf(String vm) throws IOException {
        Path file = new StateDirectory(dir.resolve("state")).fileFor(vm);
        Files.createDirectories(file.getParent());
        Files.writeString(file, "libvirt-hooks-journal 1\nvm " + vm + " uuid % updated 1970-01-01T00:00:00Z\n"
                + "claim hugepages hugepages-2048kB added=16 needed=16");
        return file;
    }

    private static String[] concat(String[] head, String... tail) {
        String[] all = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    @Test
    void aHookWithArgumentsThatAreNotLibvirtsExitsTwo(QuarkusMainLauncher launcher) {
        LaunchResult r = launcher.launch("hook", "lxc", "vm", "prepare", "begin", "--config", config.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.getErrorOutput()).contains("unsupported hook object 'lxc'");
    }

    @Test
    void badConfigurationIsOneLineNamingTheKey(QuarkusMainLauncher launcher) throws IOException {
        Files.writeString(config, "libvirt-hooks.lock-timeout=soon\n");
        LaunchResult r = launcher.launch("status", "--config", config.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.getErrorOutput()).contains("libvirt-hooks.lock-timeout=soon").doesNotContain("\tat ");
    }

    @Test
    void restoreUndoesTheJournalThoughTheConfigurationBrokeAndSaysSo(QuarkusMainLauncher launcher) throws IOException {
        Path host = dir.resolve("host");
        Files.createDirectories(host.resolve("sys/marker"));
        Files.writeString(host.resolve("sys/marker/value"), "host\n");
        io.github.libvirthooks.features.engine.Feature marker = new io.github.libvirthooks.features.engine.Feature() {
            @Override
            public String name() {
                return "marker";
            }

            @Override
            public java.util.Set<io.github.libvirthooks.features.engine.HookOperation> actsOn() {
                return java.util.Set.of(io.github.libvirthooks.features.engine.HookOperation.PREPARE);
            }

            @Override
            public void apply(io.github.libvirthooks.features.engine.FeatureContext context) {
                context.host().write("/sys/marker/value", "vm");
            }
        };
        new io.github.libvirthooks.features.engine.HookEngine(io.github.libvirthooks.sysfs.HostRoot.at(host),
                io.github.libvirthooks.sysfs.exec.CommandRunner.system(), new StateDirectory(dir.resolve("state")), java.util.List.of(marker),
                java.time.Duration.ofSeconds(5), java.time.Clock.systemUTC())
                .run(io.github.libvirthooks.features.engine.HookInvocation.parse(java.util.List.of("qemu", "vm", "prepare", "begin", "-")),
                        new io.github.libvirthooks.features.domain.DomainXmlParser().parse("<domain><name>vm</name></domain>".getBytes()),
                        java.util.Map.of("marker", java.util.Map.of()), line -> { });
        // A typo made while the VM ran.
        Files.writeString(config, Files.readString(config) + "libvirt-hooks.lock-timeout=30\n");

        LaunchResult r = launcher.launch("restore", "--config", config.toString());

        assertThat(r.exitCode()).isZero();
        assertThat(Files.readString(host.resolve("sys/marker/value")).strip()).isEqualTo("host");
        assertThat(r.getErrorOutput()).contains("undone from the journals in " + dir.resolve("state") + ", but the configuration is broken")
                .contains("lock-timeout=30");
    }

    @Test
    void restoreWithNothingRecordedSaysSo(QuarkusMainLauncher launcher) {
        LaunchResult r = launcher.launch("restore", "--config", config.toString());
        assertThat(r.exitCode()).isZero();
        assertThat(r.getOutput()).contains("nothing to restore");
    }

    @Test
    void doctorFailsWithoutAnInstalledHook(QuarkusMainLauncher launcher) {
        LaunchResult r = launcher.launch("doctor", "--root", dir.toString(), "--config", config.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.NOT_READY);
        assertThat(r.getOutput()).contains("FAIL hook: no launcher at " + dir.resolve("etc/libvirt/hooks/qemu.d/libvirt-hooks"))
                .contains("OK   cgroups: cgroup v2");
    }

    @Test
    void theManPageAndTheCompletionComeFromTheCommandModel(QuarkusMainLauncher launcher) {
        LaunchResult man = launcher.launch("generate-man-page");
        assertThat(man.getOutput()).startsWith(".TH LIBVIRT\\-HOOKS 1").contains(".SS libvirt\\-hooks status")
                .contains("\\fB\\-\\-json\\fR").contains(".SH EXIT STATUS");
        LaunchResult completion = launcher.launch("generate-completion");
        assertThat(completion.getOutput()).contains("complete -F _complete_libvirt-hooks").contains("doctor");
    }
}
