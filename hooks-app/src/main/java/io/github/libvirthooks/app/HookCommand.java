package io.github.libvirthooks.app;

import io.github.libvirthooks.features.hook.HookSetup;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code libvirt-hooks hook qemu <vm> <op> <subop> [extra]}: what libvirt runs, with the domain XML on stdin. */
@Command(name = "hook", mixinStandardHelpOptions = true,
        description = {"Runs one libvirt hook event: qemu <vm> <operation> <sub-operation> [extra], domain XML on stdin.",
                "Exit 0, or 1 with one line on stderr when libvirt must abort the operation; 2 for arguments that are not libvirt's."})
public class HookCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Parameters(arity = "4..5", paramLabel = "ARG", description = "qemu <vm-name> <operation> <sub-operation> [extra]")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        return config.setup().qemuHook().run(args, System.in, System.err);
    }
}
