package io.github.libvirthooks.features.script;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One run of a script.
 *
 * @param argv        the executable and libvirt's arguments; never a shell string
 * @param environment variables set on top of the hook's own ({@code LIBVIRT_HOOKS_*})
 * @param stdin       written to its standard input (the domain XML)
 * @param timeout     after this, it is killed with its whole process group
 * @param log         its standard output and error are appended here
 * @param stateFolder the VM's folder for scripts' state between events, created before the script runs
 */
public record ScriptCall(List<String> argv, Map<String, String> environment, byte[] stdin, Duration timeout, Path log,
        Path stateFolder) {
    public ScriptCall {
        argv = List.copyOf(argv);
        environment = Map.copyOf(environment);
        stdin = stdin.clone();
    }
}
