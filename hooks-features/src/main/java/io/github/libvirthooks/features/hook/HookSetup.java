package io.github.libvirthooks.features.hook;

import io.github.libvirthooks.features.config.ConfigLoader;
import io.github.libvirthooks.features.config.LoadedConfig;
import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Everything a hook run, {@code status}, {@code plan} and {@code restore} are built from:
 * the host root, the state directory, the lock timeout and how a VM's features are resolved.
 *
 * @param hostRoot        where {@code /sys} and {@code /proc} are ({@code /} on a real host)
 * @param stateDir        the journal directory
 * @param lockTimeout     how long a run waits for another one
 * @param enabledFeatures for a VM name and domain: its enabled features and their options
 * @param features        the features of this process
 */
public record HookSetup(Path hostRoot, Path stateDir, Duration lockTimeout,
        BiFunction<String, Domain, Map<String, Map<String, String>>> enabledFeatures, FeatureCatalog features) {

    /**
     * The setup from a configuration file and the environment (defaults &lt; file &lt;
     * environment; a VM's own XML metadata wins for that VM).
     *
     * @throws io.github.libvirthooks.features.config.ConfigException naming the bad key and value
     */
    public static HookSetup load(Path configFile, Map<String, String> environment, FeatureCatalog features) {
        LoadedConfig config = ConfigLoader.load(configFile, environment);
        return new HookSetup(config.hooks().hostRoot(), config.hooks().stateDir(), config.hooks().lockTimeout(),
                new ConfiguredFeatures(config, features), features);
    }

    /** A VM's features as its configuration and domain metadata enable them (a class, not a lambda: no call site per event). */
    private static final class ConfiguredFeatures implements BiFunction<String, Domain, Map<String, Map<String, String>>> {
        private final LoadedConfig config;
        private final FeatureCatalog features;

        ConfiguredFeatures(LoadedConfig config, FeatureCatalog features) {
            this.config = config;
            this.features = features;
        }

        @Override
        public Map<String, Map<String, String>> apply(String name, Domain domain) {
            return config.forVm(name, domain.hooksConfig(), features).features();
        }
    }

    /**
     * A setup that can only undo: the journals' location from a configuration that does not
     * load ({@link ConfigLoader#journalLocation}), the default lock timeout, and no VM's features
     * (asking for them throws the configuration's error).
     *
     * @param problem the configuration's error, thrown if anything asks which features a VM enables
     */
    public static HookSetup forUndo(Path configFile, Map<String, String> environment, FeatureCatalog features,
            RuntimeException problem) {
        ConfigLoader.JournalLocation location = ConfigLoader.journalLocation(configFile, environment);
        return new HookSetup(location.hostRoot(), location.stateDir(), Duration.ofSeconds(30), (name, domain) -> {
            throw problem;
        }, features);
    }

    public HostRoot host() {
        return hostRoot.equals(Path.of("/")) ? HostRoot.system() : HostRoot.at(hostRoot);
    }

    public StateDirectory state() {
        return new StateDirectory(stateDir);
    }

    public HookLog log() {
        return new HookLog(stateDir.resolve("hooks.log"), Clock.systemUTC());
    }

    public HookEngine engine() {
        return engine(CommandRunner.system());
    }

    private HookEngine engine(CommandRunner commands) {
        return new HookEngine(host(), commands, state(), features.onDemand(), lockTimeout, Clock.systemUTC());
    }

    /**
     * The engine for {@code plan}: on the real host ({@code host-root} {@code /}) commands that only
     * read run, on a sandbox tree they answer nothing, since this machine's tools know nothing of it.
     */
    public HookEngine planEngine() {
        CommandRunner real = CommandRunner.system();
        CommandRunner commands = hostRoot.equals(Path.of("/")) ? real : new CommandRunner() {
            @Override
            public io.github.libvirthooks.sysfs.exec.CommandResult run(java.util.List<String> argv, Duration timeout) {
                return real.run(argv, timeout);
            }

            @Override
            public io.github.libvirthooks.sysfs.exec.CommandResult query(java.util.List<String> argv, Duration timeout) {
                return io.github.libvirthooks.sysfs.exec.CommandResult.recorded(argv);
            }
        };
        return engine(commands);
    }

    public QemuHook qemuHook() {
        return new QemuHook(engine(), enabledFeatures, log());
    }
}
