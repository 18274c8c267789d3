package io.github.libvirthooks.features.hook;

import io.github.libvirthooks.features.config.ConfigLoader;
import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.extension.ExtensionFeatures;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.engine.InvalidInvocationException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The hook's fast entry point: a plain JVM main, no framework, for the launcher in
 * {@code /etc/libvirt/hooks/qemu.d/}. The {@code libvirt-hooks hook} command runs the same code.
 */
public final class HookMain {
    private HookMain() {
    }

    public static void main(String[] args) {
        if (args.length == 2 && args[0].equals("--train")) {
            // Used by install to build the class-data archive; see HookTraining.
            exit(HookTraining.run(Path.of(args[1])) ? 0 : 1);
        }
        // The launcher's -D options are this process's inputs: read here, once, and passed on.
        Path config = Path.of(System.getProperty(ConfigLoader.FILE_PROPERTY, ConfigLoader.INSTALLED));
        exit(run(List.of(args), System.in, System.err, config, System.getenv(),
                FeatureCatalog.withExtensionsFrom(ExtensionFeatures.folder())));
    }

    /**
     * Ends the process with the event's status, its output flushed. Runtime.halt, not System.exit: from JDK 21 on,
     * System.exit first asks System.getLogger whether to log the exit, which loads and initialises the JDK's logging
     * framework in every hook event (on JDK 25 with an AOT cache, into every start). Nothing in this process registers
     * a shutdown hook, so halting skips nothing; the class-data archive and AOT cache are still written at exit.
     */
    private static void exit(int status) {
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }

    /**
     * One hook event. A configuration that does not load refuses the start where libvirt
     * aborts it; at release the journal is still undone (its location is all release needs),
     * and the error is said after.
     */
    static int run(List<String> args, InputStream stdin, PrintStream err, Path config, Map<String, String> environment,
            FeatureCatalog features) {
        HookSetup setup;
        try {
            setup = HookSetup.load(config, environment, features);
        } catch (RuntimeException e) {
            java.util.Optional<HookOperation> operation = operation(args);
            if (operation.equals(java.util.Optional.of(HookOperation.RELEASE))) {
                int status = HookSetup.forUndo(config, environment, features, e).qemuHook().run(args, stdin, err);
                err.println("libvirt-hooks: " + (args.size() >= 2 ? args.get(1) + " release: " : "") + "undone from the journal,"
                        + " but the configuration is broken: " + e.getMessage() + "; fix it before the next start");
                return status;
            }
            // Configuration errors: before anything changed. Abort only where libvirt would.
            err.println("libvirt-hooks: " + e.getMessage());
            return operation.map(HookOperation::abortsOnFailure).orElse(false) ? ExitCodes.FAILED : ExitCodes.OK;
        }
        return setup.qemuHook().run(args, stdin, err);
    }

    /** libvirt's operation word, the third argument, if it is one. */
    private static java.util.Optional<HookOperation> operation(List<String> args) {
        try {
            return args.size() >= 3 ? java.util.Optional.of(HookOperation.parse(args.get(2))) : java.util.Optional.empty();
        } catch (InvalidInvocationException e) {
            return java.util.Optional.empty();
        }
    }
}
