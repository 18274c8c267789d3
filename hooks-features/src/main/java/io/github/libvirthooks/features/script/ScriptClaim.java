package io.github.libvirthooks.features.script;

import io.github.libvirthooks.features.config.Durations;
import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.script.ScriptSpec.Failure;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A script that still has to run for a VM: a {@code release} script journaled at
 * {@code prepare}, or the undo of a script that succeeded.
 *
 * @param label    which run it is, unique in the VM's journal: {@code release #1: /path} or {@code undo prepare begin #2: /path}
 * @param run      the executable to run
 * @param script   the script it belongs to: {@code run} itself for a release script, the script it undoes for an undo
 * @param origin   where the script was configured (the VM's XML, the properties, a folder)
 * @param timeout  how long it may run
 * @param failure  what its failure means at release
 * @param stateDir the state directory its environment and log are under
 * @param log      the log its output goes to
 * @param options  its {@code opt-<name>} options, by name
 */
public record ScriptClaim(String label, Path run, Path script, String origin, Duration timeout, Failure failure, Path stateDir,
        Path log, Map<String, String> options) {
    /** How this claim is kept in the journal. */
    public static final ClaimCodec<ScriptClaim> CODEC = new Codec();

    public ScriptClaim {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(run, "run");
        Objects.requireNonNull(script, "script");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(failure, "failure");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(log, "log");
        options = java.util.Collections.unmodifiableMap(new TreeMap<>(options));
    }

    /**
     * Journal keys, as 0.1.0 writes them: {@code run}, {@code script}, {@code origin},
     * {@code timeout-ms}, {@code failure} ({@code abort} or {@code warn}), {@code state-dir},
     * {@code log}, and {@code opt.<name>} per option.
     */
    private static final class Codec implements ClaimCodec<ScriptClaim> {
        private static final String OPTION = "opt.";

        @Override
        public String feature() {
            return ScriptFeature.NAME;
        }

        @Override
        public String resource(ScriptClaim claim) {
            return claim.label();
        }

        @Override
        public Map<String, String> encode(ScriptClaim claim) {
            Map<String, String> values = new LinkedHashMap<>();
            values.put("run", claim.run().toString());
            values.put("script", claim.script().toString());
            values.put("origin", claim.origin());
            values.put("timeout-ms", Long.toString(claim.timeout().toMillis()));
            values.put("failure", claim.failure().word());
            values.put("state-dir", claim.stateDir().toString());
            values.put("log", claim.log().toString());
            claim.options().forEach((k, v) -> values.put(OPTION + k, v));
            return values;
        }

        @Override
        public ScriptClaim decode(String resource, Map<String, String> values) {
            long ms = ClaimCodec.number(values, "timeout-ms");
            if (ms <= 0) {
                throw new IllegalArgumentException("claim value timeout-ms='" + ms + "' is not a positive time");
            }
            Map<String, String> options = new TreeMap<>();
            values.forEach((k, v) -> {
                if (k.startsWith(OPTION)) {
                    options.put(k.substring(OPTION.length()), v);
                }
            });
            return new ScriptClaim(resource, path(values, "run"), path(values, "script"), ClaimCodec.required(values, "origin"),
                    Duration.ofMillis(ms), failure(values), path(values, "state-dir"), path(values, "log"), options);
        }

        @Override
        public Map<String, String> describe(ScriptClaim claim) {
            Map<String, String> shown = new LinkedHashMap<>();
            shown.put("runs", claim.run().toString());
            shown.put("script", claim.script().toString());
            shown.put("origin", claim.origin());
            shown.put("timeout", Durations.format(claim.timeout()));
            shown.put("failure", claim.failure().word());
            shown.put("log", claim.log().toString());
            claim.options().forEach((k, v) -> shown.put("opt-" + k, v));
            return shown;
        }

        /** An absolute path: a relative one would run whatever the hook's working directory holds. */
        private static Path path(Map<String, String> values, String name) {
            String text = ClaimCodec.required(values, name);
            try {
                Path path = Path.of(text);
                if (path.isAbsolute()) {
                    return path;
                }
            } catch (InvalidPathException e) {
                // reported below, naming the value
            }
            throw new IllegalArgumentException("claim value " + name + "='" + text + "' is not an absolute path");
        }

        private static Failure failure(Map<String, String> values) {
            String word = ClaimCodec.required(values, "failure");
            for (Failure f : Failure.values()) {
                if (f.word().equals(word)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("claim value failure='" + word + "' is neither abort nor warn");
        }
    }
}
