package io.github.libvirthooks.features.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookFailure;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.hugepages.HugepagesFeature;
import io.github.libvirthooks.features.state.JournalEntry;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceFeatureTest {
    @TempDir
    Path tmp;
    Path root;
    StateDirectory state;
    FakeSystemctl systemctl;
    List<String> lines;

    @BeforeEach
    void host() throws IOException {
        root = Files.createDirectories(tmp.resolve("host"));
        Files.createDirectories(root.resolve("run/systemd/system"));
        state = new StateDirectory(tmp.resolve("state"));
        systemctl = new FakeSystemctl();
        lines = new ArrayList<>();
    }

    @Test
    void theTemplateInstanceForTheVmStartsAtPrepareAndStopsAtRelease() {
        Domain vm = vm("win10", "<service unit='scream'/>");

        run(vm, "prepare", "begin");

        assertThat(systemctl.active).containsExactly("scream@win10.service");
        assertThat(systemctl.ran).containsExactly(List.of("systemctl", "start", "--", "scream@win10.service"));
        assertThat(state.load("win10", "").entries()).extracting(JournalEntry::feature, JournalEntry::key)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("service", "scream@win10.service"));
        assertThat(lines).contains("claim  service: started scream@win10.service for win10; stopped at release");
        // libvirt's other events on the way (the launcher starts Java at start when a service is configured).
        run(vm, "start", "begin");
        run(vm, "started", "begin");
        run(vm, "stopped", "end");

        run(vm, "release", "end");

        assertThat(systemctl.active).isEmpty();
        assertThat(systemctl.ran.get(1)).containsExactly("systemctl", "stop", "--", "scream@win10.service");
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void theVmNameIsEscapedAsSystemdEscapeDoes() {
        Domain vm = vm("my vm-1.é", "<service unit='looking-glass@.service,scream@' event='started'/>");

        run(vm, "prepare", "begin");
        assertThat(systemctl.active).isEmpty();
        run(vm, "started", "begin");

        assertThat(systemctl.active).containsExactly("looking-glass@my\\x20vm\\x2d1.\\xc3\\xa9.service",
                "scream@my\\x20vm\\x2d1.\\xc3\\xa9.service");
    }

    @Test
    void aUnitThatFailsToStartAbortsPrepareAndRollsBackEarlierFeatures() {
        systemctl.failing.add("scream@win10.service");
        Domain vm = vm("win10", "<service unit='scream'/>");

        assertThatThrownBy(() -> run(vm, "prepare", "begin")).isInstanceOf(HookFailure.class)
                .hasMessage("service: cannot start scream@win10.service (systemctl exited with status 1: Job for scream@win10.service"
                        + " failed because the control process exited with error code.); see 'systemctl status scream@win10.service'"
                        + " and 'journalctl -u scream@win10.service'");
        assertThat(systemctl.ran.get(systemctl.ran.size() - 1)).containsExactly("systemctl", "stop", "--", "scream@win10.service");
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void withFailureWarnAUnitThatFailsOnlyWarns() {
        systemctl.failing.add("scream@win10.service");

        run(vm("win10", "<service unit='scream' failure='warn'/>"), "prepare", "begin");

        assertThat(lines).anyMatch(l -> l.startsWith("warn   service: cannot start scream@win10.service"));
    }

    @Test
    void withoutSystemdItSaysSoAndSkips() throws IOException {
        Files.delete(root.resolve("run/systemd/system"));

        run(vm("win10", "<service unit='scream'/>"), "prepare", "begin");

        assertThat(systemctl.ran).isEmpty();
        assertThat(lines).containsExactly("warn   service: systemd is not the init system (no /run/systemd/system), so"
                + " scream@win10.service cannot run for win10; skipped");
        assertThat(state.fileFor("win10")).doesNotExist();
    }

    @Test
    void badOptionsAreRefusedWithWhatIsAllowed() {
        assertThatThrownBy(() -> ServiceFeature.options(Map.of())).hasMessageStartingWith("service needs unit");
        assertThatThrownBy(() -> ServiceFeature.options(Map.of("unit", "scream@win10.service")))
                .hasMessageContaining("name a template (scream or scream@.service)");
        assertThatThrownBy(() -> ServiceFeature.options(Map.of("unit", "a b"))).hasMessageStartingWith("invalid service unit 'a b'");
        // systemctl would read it as its -H (remote host) option.
        assertThatThrownBy(() -> ServiceFeature.options(Map.of("unit", "-Hnobody"))).hasMessageStartingWith("invalid service unit '-Hnobody'")
                .hasMessageContaining("not starting with -");
        assertThatThrownBy(() -> ServiceFeature.options(Map.of("unit", "x", "event", "stopped")))
                .hasMessageStartingWith("invalid service event 'stopped': prepare, start or started");
        assertThatThrownBy(() -> ServiceFeature.options(Map.of("unit", "x", "units", "y"))).hasMessageStartingWith("unknown option 'units'");
        assertThat(new TemplateUnit("x").instanceFor("a/b")).isEqualTo("x@a-b.service");
        assertThatThrownBy(() -> new TemplateUnit("x").instanceFor("é".repeat(100))).hasMessageContaining("give the VM a shorter name");
    }

    private void run(Domain vm, String op, String sub) {
        HookEngine engine = new HookEngine(HostRoot.at(root), systemctl, state, List.of(new HugepagesFeature(), new ServiceFeature()),
                Duration.ofSeconds(5), Clock.systemUTC());
        HookInvocation invocation = HookInvocation.parse(List.of("qemu", vm.name(), op, sub, "-"));
        engine.run(invocation, vm, op.equals("release") ? Map.of() : vm.hooksConfig(), lines::add);
    }

    private static Domain vm(String name, String hooks) {
        String xml = "<domain type='kvm'><name>" + name + "</name><memory unit='MiB'>64</memory>"
                + "<metadata><hooks xmlns='urn:libvirt-hooks:1'>" + hooks + "</hooks></metadata></domain>";
        return new DomainXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code systemctl start|stop UNIT} as systemd answers them for template instances. */
    static final class FakeSystemctl implements CommandRunner {
        final List<List<String>> ran = new ArrayList<>();
        final Set<String> active = new LinkedHashSet<>();
        final Set<String> failing = new LinkedHashSet<>();

        @Override
        public CommandResult run(List<String> argv, Duration timeout) {
            ran.add(argv);
            // Like systemctl's getopt: "--" ends the options; a unit after it may start with anything.
            assertThat(argv.get(2)).as("argv of %s", argv).isEqualTo("--");
            String unit = argv.get(3);
            if (argv.get(1).equals("start")) {
                if (failing.contains(unit)) {
                    return new CommandResult(argv, 1, "", "Job for " + unit + " failed because the control process exited with"
                            + " error code.\nSee \"systemctl status " + unit + "\" for details.\n");
                }
                active.add(unit);
                return new CommandResult(argv, 0, "", "");
            }
            if (argv.get(1).equals("stop")) {
                active.remove(unit);
                return new CommandResult(argv, 0, "", "");
            }
            return new CommandResult(argv, 1, "", "Unknown command verb " + argv.get(1) + ".\n");
        }
    }
}
