package io.github.libvirthooks.features.hook;

import io.github.libvirthooks.features.config.ConfigLoader;
import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.extension.ExtensionFeatures;
import java.nio.file.Path;
import java.util.List;

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
            System.exit(HookTraining.run(Path.of(args[1])) ? 0 : 1);
        }
        // The launcher's -D options are this process's inputs: read here, once, and passed on.
        Path config = Path.of(System.getProperty(ConfigLoader.FILE_PROPERTY, ConfigLoader.INSTALLED));
        int status;
        try {
            HookSetup setup = HookSetup.load(config, System.getenv(), FeatureCatalog.withExtensionsFrom(ExtensionFeatures.folder()));
            status = setup.qemuHook().run(List.of(args), System.in, System.err);
        } catch (RuntimeException e) {
            // Configuration errors: before anything changed. Abort only where libvirt would.
            boolean aborts = args.length >= 3 && List.of("prepare", "start", "migrate", "restore", "reconnect").contains(args[2]);
            System.err.println("libvirt-hooks: " + e.getMessage());
            status = aborts ? ExitCodes.FAILED : ExitCodes.OK;
        }
        System.exit(status);
    }
}
