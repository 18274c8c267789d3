package io.github.libvirthooks.features.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookOutcome;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An upgrade while VMs run: the journals that release 0.1.0 wrote (format 1, stored under
 * {@code journals/format-1/}) must be read and undone by this release exactly as 0.1.0 undid
 * them. The host is brought to the applied state by this release's own {@code prepare} (on the
 * same fake host the stored journals were taken on, the same host values), then the journal is
 * swapped for the stored one before {@code release}.
 */
class FormatOneJournalsTest {
    @TempDir
    Path tmp;

    static Stream<Scenario> scenarios() {
        List<Scenario> all = new ArrayList<>(Scenario.documented());
        all.add(new Scenario("nosleep", "<nosleep what='sleep:idle'/>", false, false, FakeHostCommands::systemd));
        all.add(new Scenario("service", "<service unit='scream@.service' timeout='20s'/>", false, false, FakeHostCommands::systemd));
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void aJournalOfReleaseZeroOneIsUndoneAsThatReleaseUndidIt(Scenario scenario) throws IOException {
        Lifecycle life = new Lifecycle(scenario, tmp);
        TreeSnapshot before = TreeSnapshot.of(life.tree);
        List<List<String>> calls = new ArrayList<>();
        HookEngine engine = new HookEngine(life.tree.host(), units(life, calls), life.state, FeatureCatalog.builtInOnly().all(),
                Duration.ofSeconds(5), Clock.systemUTC());
        engine.run(Lifecycle.event(Scenario.VM, "prepare"), life.domain, life.domain.hooksConfig(), line -> { });
        if (scenario.qemu()) {
            life.tree.spawnQemu(Scenario.VM, Scenario.QEMU_ID, Scenario.QEMU_PID, Scenario.VCPUS);
        }
        engine.run(Lifecycle.event(Scenario.VM, "started"), life.domain, life.domain.hooksConfig(), line -> { });
        String stored = resource(scenario.name() + ".journal");
        assertThat(stored).startsWith("libvirt-hooks-journal 1\n");
        Files.writeString(life.state.fileFor(Scenario.VM), stored, StandardCharsets.UTF_8);
        assertThat(life.state.load(Scenario.VM, "").entries()).as("the stored journal reads").isNotEmpty();

        calls.clear();
        if (scenario.qemu()) {
            life.tree.exitQemu(Scenario.VM, Scenario.QEMU_ID, Scenario.QEMU_PID, Scenario.VCPUS);
        }
        HookOutcome release = engine.run(Lifecycle.event(Scenario.VM, "release"), life.domain, life.domain.hooksConfig(),
                line -> { });

        assertThat(release.warnings()).isEmpty();
        assertThat(TreeSnapshot.of(life.tree).diff(before)).as("host after the release of a format-1 journal").isEmpty();
        assertThat(life.state.fileFor(Scenario.VM)).doesNotExist();
        assertThat(changing(calls)).as("commands that change the host")
                .containsExactlyInAnyOrderElementsOf(changing(resource(scenario.name() + ".release-commands").lines()
                        .map(l -> List.of(l.split(" "))).toList()));
    }

    /** Commands that change something; the queries around them may differ between releases. */
    private static List<String> changing(List<List<String>> calls) {
        return calls.stream().filter(c -> !(c.get(0).equals("systemctl") && (c.get(1).equals("show") || c.get(1).equals("is-active"))))
                .map(c -> String.join(" ", c.stream().filter(a -> !a.equals("--")).toList())).toList();
    }

    /** The reliability suite's fake host, and units that start and stop as asked (what 0.1.0's journals were taken with). */
    private static CommandRunner units(Lifecycle life, List<List<String>> calls) {
        return new CommandRunner() {
            @Override
            public CommandResult run(List<String> argv, Duration timeout) {
                calls.add(argv);
                if (argv.get(0).equals("systemd-run")
                        || argv.get(0).equals("systemctl") && (argv.get(1).equals("start") || argv.get(1).equals("stop"))) {
                    return new CommandResult(argv, 0, "", "");
                }
                if (argv.get(0).equals("systemctl") && argv.get(1).equals("is-active")) {
                    return new CommandResult(argv, 3, "", "");
                }
                return life.commands.run(argv, timeout);
            }
        };
    }

    private static String resource(String name) {
        try (InputStream in = FormatOneJournalsTest.class.getResourceAsStream("/journals/format-1/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no stored journal " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
