package io.github.libvirthooks.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder replaced in the next commit. */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Runs a sample VM lifecycle on a sandboxed host tree.")
public class DemoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
