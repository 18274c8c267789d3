package io.github.libvirthooks.app;

import io.github.libvirthooks.app.demo.DemoRun;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the embedded sample VM through a full hook lifecycle on a sandboxed host tree. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Runs a sample VM through prepare, start, started, stopped and release on a sandboxed host tree,"
                + " printing every change made and undone. Touches nothing on the real host.")
public class DemoCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = "target/libvirt-hooks-demo",
            description = "Where the sandboxed host tree and state go (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Override
    public Integer call() {
        return new DemoRun(dir, System.out).run() ? 0 : 1;
    }
}
