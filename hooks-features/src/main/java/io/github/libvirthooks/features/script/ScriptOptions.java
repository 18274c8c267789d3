package io.github.libvirthooks.features.script;

import io.github.libvirthooks.features.config.Durations;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.HookOperation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code script} feature's options for one VM, parsed and checked before anything runs.
 *
 * <p>The options map holds: {@code timeout} and {@code failure}, the defaults of every script of
 * the VM (folder scripts included); {@code exec}, {@code event}, {@code undo} and
 * {@code opt-<name>}, one script from the properties; {@code <n>.<option>}, the n-th
 * {@code <script>} element of the VM's XML, in document order (the XML parser numbers them);
 * and {@code scripts-dir} and {@code state-dir}, which the configuration fills in.
 *
 * @param scripts        the configured scripts, properties first, then the XML ones in document order
 * @param scriptsDir     the configuration folder holding {@code hooks.d/} and {@code all-vms.d/}; empty when unknown
 * @param stateDir       the hook's state folder ({@code /run/libvirt-hooks})
 * @param defaultTimeout the timeout of scripts that set none
 * @param defaultFailure the failure mode of scripts that set none
 */
public record ScriptOptions(List<ScriptSpec> scripts, Optional<Path> scriptsDir, Path stateDir, Duration defaultTimeout,
        ScriptSpec.Failure defaultFailure) {
    /** The option that names the configuration folder. */
    public static final String SCRIPTS_DIR = "scripts-dir";
    /** The option that names the state folder. */
    public static final String STATE_DIR = "state-dir";
    /** A script's time limit when nothing sets one. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** No script may hold libvirtd longer than this. */
    /** The longest a script may run; it holds the host lock meanwhile. */
    public static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);

    private static final Set<String> PER_SCRIPT = Set.of("exec", "event", "undo", "timeout", "failure", "enabled");
    /** Compiled when script options are read, not wherever this class's constants are (every hook event). */
    private static final class Patterns {
        static final Pattern NUMBERED = Pattern.compile("([0-9]{1,4})\\.(.+)");
        static final Pattern OPT = Pattern.compile("opt-[a-z0-9][a-z0-9-]{0,63}");
    }

    public ScriptOptions {
        scripts = List.copyOf(scripts);
    }

    /**
     * Parses the options.
     *
     * @throws FeatureException naming the option, its value and what is allowed
     */
    public static ScriptOptions parse(Map<String, String> options) {
        Map<String, String> common = new LinkedHashMap<>();
        Map<Integer, Map<String, String>> numbered = new TreeMap<>();
        for (Map.Entry<String, String> e : options.entrySet()) {
            Matcher m = Patterns.NUMBERED.matcher(e.getKey());
            if (m.matches()) {
                numbered.computeIfAbsent(Integer.parseInt(m.group(1)), n -> new LinkedHashMap<>()).put(m.group(2), e.getValue());
            } else {
                common.put(e.getKey(), e.getValue());
            }
        }
        Duration defaultTimeout = common.containsKey("timeout") ? timeout(common.get("timeout"), "timeout") : DEFAULT_TIMEOUT;
        ScriptSpec.Failure defaultFailure = common.containsKey("failure") ? failure(common.get("failure"), "failure")
                : ScriptSpec.Failure.ABORT;
        Optional<Path> scriptsDir = Optional.ofNullable(common.get(SCRIPTS_DIR)).map(Path::of);
        Path stateDir = Path.of(common.getOrDefault(STATE_DIR, "/run/libvirt-hooks"));

        List<ScriptSpec> scripts = new ArrayList<>();
        Map<String, String> fromProperties = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : common.entrySet()) {
            String key = e.getKey();
            if (key.equals("timeout") || key.equals("failure") || key.equals(SCRIPTS_DIR) || key.equals(STATE_DIR)) {
                continue;
            }
            if (!key.equals("exec") && !key.equals("event") && !key.equals("undo") && !Patterns.OPT.matcher(key).matches()) {
                throw unknown(key);
            }
            fromProperties.put(key, e.getValue());
        }
        if (!fromProperties.isEmpty()) {
            if (!fromProperties.containsKey("exec")) {
                throw new FeatureException("script: " + String.join(", ", fromProperties.keySet())
                        + " set in the properties without script.exec: name the executable (an absolute path)");
            }
            scripts.add(spec("properties", fromProperties, defaultTimeout, defaultFailure));
        }
        for (Map.Entry<Integer, Map<String, String>> e : numbered.entrySet()) {
            Map<String, String> own = e.getValue();
            for (String key : own.keySet()) {
                if (!PER_SCRIPT.contains(key) && !Patterns.OPT.matcher(key).matches()) {
                    throw unknown(key);
                }
            }
            String enabled = own.getOrDefault("enabled", "true").strip();
            if (enabled.equalsIgnoreCase("false")) {
                continue;
            }
            if (!enabled.equalsIgnoreCase("true")) {
                throw new FeatureException("invalid <script enabled=\"" + enabled + "\"> (#" + e.getKey() + "): expected true or false");
            }
            if (!own.containsKey("exec")) {
                throw new FeatureException("<script> #" + e.getKey() + " in the VM's <hooks> metadata has no exec: name the"
                        + " executable, e.g. <script exec=\"/etc/libvirt-hooks/scripts/bind-gpu\" event=\"prepare\"/>");
            }
            Duration timeout = own.containsKey("timeout") ? timeout(own.get("timeout"), "<script> #" + e.getKey() + " timeout")
                    : defaultTimeout;
            ScriptSpec.Failure failure = own.containsKey("failure") ? failure(own.get("failure"), "<script> #" + e.getKey() + " failure")
                    : defaultFailure;
            scripts.add(spec("<script> #" + e.getKey(), own, timeout, failure));
        }
        return new ScriptOptions(scripts, scriptsDir, stateDir, defaultTimeout, defaultFailure);
    }

    private static ScriptSpec spec(String origin, Map<String, String> own, Duration timeout, ScriptSpec.Failure failure) {
        Path exec = absolute(own.get("exec"), origin + " exec");
        ScriptEvent event = own.containsKey("event") ? ScriptEvent.parse(own.get("event")) : ScriptEvent.PREPARE;
        Optional<Path> undo = Optional.ofNullable(own.get("undo")).map(u -> absolute(u, origin + " undo"));
        if (undo.isPresent() && (event.operation() == HookOperation.STOPPED || event.operation() == HookOperation.RELEASE)) {
            throw new FeatureException("script " + exec + " (" + origin + ") runs at " + event + " and has an undo: an undo runs at"
                    + " release, after a script of the start path; drop undo, or make it a script of its own with event=\"release\"");
        }
        Map<String, String> opts = new TreeMap<>();
        own.forEach((k, v) -> {
            if (k.startsWith("opt-")) {
                opts.put(k.substring(4), v);
            }
        });
        return new ScriptSpec(origin, exec, event, undo, timeout, failure, opts);
    }

    private static Path absolute(String text, String what) {
        String t = text == null ? "" : text.strip();
        if (t.isEmpty() || !t.startsWith("/") || t.indexOf('\0') >= 0) {
            throw new FeatureException("invalid script " + what + " '" + text + "': an absolute path to an executable, e.g."
                    + " /etc/libvirt-hooks/scripts/bind-gpu");
        }
        return Path.of(t).normalize();
    }

    /** Parses {@code 500ms}, {@code 30s}, {@code 2m}: at least 100 ms, at most 10 minutes. */
    static Duration timeout(String text, String what) {
        return Durations.option("script " + what, text, Duration.ofMillis(100), MAX_TIMEOUT,
                "libvirtd waits for the hook, so a script may not hold it longer");
    }

    private static ScriptSpec.Failure failure(String text, String what) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "abort" -> ScriptSpec.Failure.ABORT;
            case "warn" -> ScriptSpec.Failure.WARN;
            default -> throw new FeatureException("invalid script " + what + " '" + text + "': abort (a failure aborts the VM's"
                    + " start where libvirt allows it) or warn");
        };
    }

    private static FeatureException unknown(String key) {
        return new FeatureException("unknown option '" + key + "' for script; it takes: exec, event, undo, timeout, failure,"
                + " opt-<name> (passed to the script as LIBVIRT_HOOKS_OPT_<NAME>), enabled (in XML)");
    }
}
