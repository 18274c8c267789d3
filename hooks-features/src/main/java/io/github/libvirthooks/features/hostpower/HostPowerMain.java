package io.github.libvirthooks.features.hostpower;

import io.github.libvirthooks.features.config.ConfigLoader;
import io.github.libvirthooks.features.config.Durations;
import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.extension.ExtensionFeatures;
import io.github.libvirthooks.features.hook.ExitCodes;
import io.github.libvirthooks.features.hook.HookSetup;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.sysfs.hugetlb.Sleeper;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code host-sleep pre|post} and {@code host-shutdown} on a plain JVM, no framework: what the
 * sleep and shutdown units run (through the {@code libvirt-hooks} command), on the hook's short
 * classpath and class-data archive. Every host suspend waits for this process, so it starts like
 * the hook does, not like the full command. The {@code libvirt-hooks} command keeps both commands
 * with their help; this entry takes exactly their options ({@link #OPTIONS}; a test holds the two
 * to the same list) and runs the same code.
 */
public final class HostPowerMain {
    /** The options each command takes, as the full command declares them (help and version aside). */
    public static final Map<String, Set<String>> OPTIONS = Map.of(
            "host-sleep", Set.of("--config", "--timeout", "--uri"),
            "host-shutdown", Set.of("--config", "--timeout", "--uri", "--force"));
    private static final Set<String> FLAGS = Set.of("--force");

    private HostPowerMain() {
    }

    public static void main(String[] args) {
        System.exit(run(List.of(args), System.out, System.err, System.getenv(),
                file -> HookSetup.load(file, System.getenv(), FeatureCatalog.withExtensionsFrom(ExtensionFeatures.folder())),
                CommandRunner.system()));
    }

    /**
     * One run.
     *
     * @param setup loads the configuration from the file {@code --config} names
     * @return the exit status: 0 when every VM was handled as configured, 1 when one was not or the
     *         configuration does not load, 2 for arguments that are not these commands'
     */
    static int run(List<String> args, PrintStream out, PrintStream err, Map<String, String> environment,
            Function<Path, HookSetup> setup, CommandRunner commands) {
        Parsed parsed;
        try {
            parsed = Parsed.of(args);
        } catch (IllegalArgumentException e) {
            err.println("libvirt-hooks: " + e.getMessage());
            err.println("Usage: libvirt-hooks host-sleep pre|post [--timeout D] [--uri URI] [--config FILE]");
            err.println("       libvirt-hooks host-shutdown [--force] [--timeout D] [--uri URI] [--config FILE]");
            return ExitCodes.USAGE;
        }
        HookSetup loaded;
        try {
            loaded = setup.apply(parsed.config());
        } catch (RuntimeException e) {
            err.println("libvirt-hooks: " + e.getMessage());
            return ExitCodes.FAILED;
        }
        Virsh virsh = new Virsh(commands, parsed.uri());
        HostPowerResult result;
        if (parsed.command().equals("host-shutdown")) {
            HostShutdown shutdown = new HostShutdown(virsh, commands, loaded.stateDir(), loaded.enabledFeatures(), Clock.systemUTC(),
                    Sleeper.SYSTEM);
            result = shutdown.run(parsed.timeout().orElse(HostShutdown.DEFAULT_BUDGET), parsed.force(), out::println);
        } else {
            HostSleep sleep = new HostSleep(virsh, loaded.stateDir(), loaded.enabledFeatures(), Clock.systemUTC(), Sleeper.SYSTEM);
            result = parsed.phase().equals("pre")
                    ? sleep.pre(parsed.timeout().orElse(HostSleep.DEFAULT_PRE_BUDGET), out::println)
                    : sleep.post(parsed.timeout().orElse(HostSleep.DEFAULT_POST_BUDGET), out::println);
        }
        return result.clean() ? ExitCodes.OK : ExitCodes.FAILED;
    }

    /** The arguments, in the forms the full command accepts: {@code --name value} and {@code --name=value}. */
    record Parsed(String command, String phase, Path config, String uri, java.util.Optional<Duration> timeout, boolean force) {
        static Parsed of(List<String> args) {
            if (args.isEmpty() || !OPTIONS.containsKey(args.get(0))) {
                throw new IllegalArgumentException("expected host-sleep or host-shutdown" + (args.isEmpty() ? "" : ", not '"
                        + printable(args.get(0)) + "'"));
            }
            String command = args.get(0);
            Set<String> allowed = OPTIONS.get(command);
            Map<String, String> values = new HashMap<>();
            List<String> positional = new java.util.ArrayList<>();
            for (int i = 1; i < args.size(); i++) {
                String arg = args.get(i);
                if (!arg.startsWith("--")) {
                    positional.add(arg);
                    continue;
                }
                int eq = arg.indexOf('=');
                String name = eq < 0 ? arg : arg.substring(0, eq);
                if (!allowed.contains(name)) {
                    throw new IllegalArgumentException(command + " has no option '" + printable(name) + "'");
                }
                if (values.containsKey(name)) {
                    throw new IllegalArgumentException("option " + name + " given twice");
                }
                if (FLAGS.contains(name)) {
                    if (eq >= 0) {
                        throw new IllegalArgumentException("option " + name + " takes no value");
                    }
                    values.put(name, "true");
                } else if (eq >= 0) {
                    values.put(name, arg.substring(eq + 1));
                } else if (i + 1 < args.size()) {
                    values.put(name, args.get(++i));
                } else {
                    throw new IllegalArgumentException("option " + name + " needs a value");
                }
            }
            String phase = "";
            if (command.equals("host-sleep")) {
                if (positional.size() != 1 || !(positional.get(0).equals("pre") || positional.get(0).equals("post"))) {
                    throw new IllegalArgumentException("host-sleep takes one of pre or post");
                }
                phase = positional.get(0);
            } else if (!positional.isEmpty()) {
                throw new IllegalArgumentException("host-shutdown takes no argument '" + printable(positional.get(0)) + "'");
            }
            java.util.Optional<Duration> timeout = java.util.Optional.ofNullable(values.get("--timeout")).map(Parsed::duration);
            return new Parsed(command, phase, Path.of(values.getOrDefault("--config", ConfigLoader.INSTALLED)),
                    values.getOrDefault("--uri", Virsh.SYSTEM_URI), timeout, values.containsKey("--force"));
        }

        private static Duration duration(String value) {
            try {
                Duration d = Durations.parse(value);
                if (!d.isZero()) {
                    return d;
                }
            } catch (IllegalArgumentException e) {
                // one message below says what is allowed
            }
            throw new IllegalArgumentException("'" + printable(value) + "' is not a duration: use e.g. 90s, 3m, 500ms or PT90S");
        }

        private static String printable(String s) {
            return io.github.libvirthooks.features.state.DamagedJournal.printable(s);
        }
    }
}
