package io.github.libvirthooks.features.script;

import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.engine.ClaimingFeature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.FeatureSpec;
import io.github.libvirthooks.features.engine.SpecifiedFeature;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code script}: the user's own executables, run at libvirt's events with the engine's safety.
 *
 * <p>Scripts come from the VM's XML ({@code <script exec=... event=... undo=... timeout=...
 * failure=.../>}, several, in document order), from the properties (one per VM), and from the
 * folders of {@link ScriptFolders}. Each runs with libvirt's arguments
 * ({@code <vm> <operation> <sub-operation> <extra>}), the domain XML on standard input, the
 * environment {@code LIBVIRT_HOOKS_VM}, {@code _UUID}, {@code _EVENT}, {@code _OPERATION},
 * {@code _SUB_OPERATION}, {@code _STATE_DIR} (a folder of its own per VM, in /run),
 * {@code _SCRIPT}, {@code _TIMEOUT} and {@code _OPT_<NAME>}, a time limit after which it is
 * killed with its process group, and its output appended to the VM's script log.
 *
 * <p>A script that root does not own, or that group or others can write, or that lies in such
 * a folder, is refused ({@link SafePath}). At {@code prepare} every script the VM has is checked,
 * so a bad one stops the start early rather than failing later where libvirt cannot abort.
 *
 * <p>A script whose failure mode is {@code abort} fails the event where libvirt allows it
 * (prepare, start, migrate, restore, reconnect): the engine then rolls back the features that
 * ran before it, newest first, undo scripts included. An undo is journaled as a claim only after
 * its script succeeded, so it runs only where its script ran. Scripts of the {@code release}
 * event are journaled as claims at {@code prepare}, so they run at release (or when that start
 * is rolled back) and by {@code libvirt-hooks restore}; the engine never applies features at
 * release itself.
 */
public final class ScriptFeature implements ClaimingFeature<ScriptClaim>, SpecifiedFeature {
    public static final String NAME = "script";
    /** What this feature is: its events and options (the README's table is checked against it). */
    public static final FeatureSpec SPEC = FeatureSpec.named(NAME, "run the user's own executables, per VM, with an undo at release")
            // Every event but release, where scripts run from the journal (see the class comment).
            .at(HookOperation.PREPARE, HookOperation.START, HookOperation.STARTED, HookOperation.STOPPED, HookOperation.MIGRATE,
                    HookOperation.RESTORE, HookOperation.RECONNECT, HookOperation.ATTACH)
            .option("exec", "(required)")
            .option("event", "`prepare`")
            .option("undo", "(none)")
            .option("timeout", "`30s`")
            .option("failure", "`abort`")
            .option("opt-<name>", "")
            .option("enabled", "`true`")
            .build();

    private final SafePath safety;

    /** The feature as the hook runs it: root-owned scripts only. */
    public ScriptFeature() {
        this(SafePath.rootOnly());
    }

    /**
     * @param safety the ownership check every script passes before it runs (they run through
     *               {@link FeatureContext#scripts()})
     */
    public ScriptFeature(SafePath safety) {
        this.safety = safety;
    }

    @Override
    public FeatureSpec spec() {
        return SPEC;
    }

    /** Every event but release, where scripts run from the journal (see the class comment). */

    @Override
    public ClaimCodec<ScriptClaim> claimCodec() {
        return ScriptClaim.CODEC;
    }

    @Override
    public void apply(FeatureContext context) {
        ScriptOptions options = ScriptOptions.parse(context.options());
        HookInvocation invocation = context.invocation();
        String vm = invocation.vmName();
        List<String> skipped = new ArrayList<>();
        if (invocation.operation() == HookOperation.PREPARE) {
            // Fail early and clearly: every script of this VM, whatever its event, is checked where libvirt can still abort.
            List<ScriptSpec> every = new ArrayList<>(options.scripts());
            folders(options).ifPresent(f -> every.addAll(f.all(vm, options, new ArrayList<>())));
            for (ScriptSpec spec : every) {
                check(spec.exec());
                spec.undo().ifPresent(this::check);
            }
            List<ScriptSpec> release = releaseScripts(options, vm, new ArrayList<>());
            // Recorded newest-last and undone newest-first: record them backwards so that they run in their own order.
            for (int i = release.size() - 1; i >= 0; i--) {
                ScriptSpec spec = release.get(i);
                context.claim(ScriptClaim.CODEC, claim("release #" + (i + 1) + ": " + spec.exec(), spec.exec(), spec, options, vm));
                context.report().accept("claim  script: " + spec.exec() + " runs at release (" + spec.origin() + ")");
            }
        }
        List<ScriptSpec> now = scriptsAt(options, vm, invocation, skipped);
        skipped.forEach(s -> context.report().accept("skip   script: " + s));
        Path log = logOf(options.stateDir(), vm);
        for (int i = 0; i < now.size(); i++) {
            ScriptSpec spec = now.get(i);
            check(spec.exec());
            ScriptResult result = context.scripts().run(call(context, spec.exec(), List.of(vm, invocation.operation().word(), invocation.subOperation(),
                    invocation.extra()), environment(context, options.stateDir(), spec.exec(), spec.timeout(), spec.options()),
                    spec.timeout(), log));
            if (result.succeeded()) {
                context.report().accept("run    script: " + spec.exec() + " exit 0 after " + result.elapsed().toMillis()
                        + " ms; output in " + log);
                if (spec.undo().isPresent()) {
                    Path undo = spec.undo().get();
                    String label = "undo " + invocation.event() + " #" + (i + 1) + ": " + undo;
                    context.claim(ScriptClaim.CODEC, claim(label, undo, spec, options, vm));
                    context.report().accept("claim  script: " + undo + " undoes " + spec.exec() + " at release");
                }
                continue;
            }
            String what = "script: " + spec.exec() + " " + result.describe(spec.timeout())
                    + (result.lastLine().isEmpty() ? "" : ": " + result.lastLine()) + " (output in " + log + ")";
            if (effective(spec, invocation) == ScriptSpec.Failure.ABORT) {
                throw new FeatureException(what);
            }
            context.report().accept("warn   " + what);
        }
    }

    @Override
    public void undo(ScriptClaim claim, FeatureContext context) {
        Path exec = claim.run();
        HookInvocation invocation = context.invocation();
        String vm = invocation.vmName();
        Path stateDir = claim.stateDir();
        requireOwnStateDir(claim, context);
        Duration timeout = claim.timeout();
        Map<String, String> opts = claim.options();
        Map<String, String> env = environment(context, stateDir, exec, timeout, opts);
        // libvirt 10.5 and later say why the VM stopped: release end shutdown|destroyed|crashed|failed|...
        String reason = "-";
        if (invocation.operation() != HookOperation.RELEASE) {
            env.put("LIBVIRT_HOOKS_ROLLBACK", invocation.event());
        } else if (!invocation.extra().equals("-")) {
            reason = invocation.extra();
            env.put("LIBVIRT_HOOKS_REASON", reason);
        }
        if (!claim.script().equals(exec)) {
            env.put("LIBVIRT_HOOKS_UNDO_OF", claim.script().toString());
        }
        // Checked again: the file may have changed since prepare, and it still runs as root.
        check(exec);
        Path log = logOf(stateDir, vm);
        ScriptResult result = context.scripts().run(call(context, exec, List.of(vm, "release", "end", reason), env, timeout, log));
        if (result.succeeded()) {
            context.report().accept("undo   script: " + exec + " exit 0 after " + result.elapsed().toMillis() + " ms; output in " + log);
            return;
        }
        String what = "script: " + exec + " " + result.describe(timeout) + (result.lastLine().isEmpty() ? "" : ": " + result.lastLine())
                + " (output in " + log + ")";
        if (claim.failure() == ScriptSpec.Failure.WARN) {
            context.report().accept("warn   " + what);
            return;
        }
        // Kept in the journal: 'libvirt-hooks restore' runs it again once fixed.
        throw new FeatureException(what);
    }

    /** The log every script of a VM appends to: {@code <state-dir>/scripts/vm-<name>-<hash>.log}. */
    public static Path logOf(Path stateDir, String vmName) {
        return stateDir.resolve("scripts").resolve(folderName(stateDir, vmName) + ".log");
    }

    /** The folder a VM's scripts may keep state in between events: {@code <state-dir>/scripts/vm-<name>-<hash>/}. */
    public static Path stateFolderOf(Path stateDir, String vmName) {
        return stateDir.resolve("scripts").resolve(folderName(stateDir, vmName));
    }

    private static String folderName(Path stateDir, String vmName) {
        String journal = new StateDirectory(stateDir).fileFor(vmName).getFileName().toString();
        return journal.substring(0, journal.lastIndexOf('.'));
    }

    private List<ScriptSpec> scriptsAt(ScriptOptions options, String vm, HookInvocation invocation, List<String> skipped) {
        List<ScriptSpec> now = new ArrayList<>();
        for (ScriptSpec spec : options.scripts()) {
            if (spec.event().matches(invocation)) {
                now.add(spec);
            }
        }
        folders(options).ifPresent(f -> now.addAll(f.at(vm, invocation.operation(), invocation.subOperation(), options, skipped)));
        return now;
    }

    private List<ScriptSpec> releaseScripts(ScriptOptions options, String vm, List<String> skipped) {
        List<ScriptSpec> release = new ArrayList<>();
        for (ScriptSpec spec : options.scripts()) {
            if (spec.event().operation() == HookOperation.RELEASE) {
                release.add(spec);
            }
        }
        folders(options).ifPresent(f -> {
            for (String sub : ScriptFolders.SUB_OPERATIONS) {
                release.addAll(f.at(vm, HookOperation.RELEASE, sub, options, skipped));
            }
        });
        return release;
    }

    private static Optional<ScriptFolders> folders(ScriptOptions options) {
        return options.scriptsDir().map(ScriptFolders::new);
    }

    private static ScriptClaim claim(String label, Path run, ScriptSpec spec, ScriptOptions options, String vm) {
        return new ScriptClaim(label, run, spec.exec(), spec.origin(), spec.timeout(), spec.failure(), options.stateDir(),
                logOf(options.stateDir(), vm), spec.options());
    }

    private static ScriptCall call(FeatureContext context, Path exec, List<String> args, Map<String, String> env, Duration timeout,
            Path log) {
        List<String> argv = new ArrayList<>();
        argv.add(exec.toString());
        argv.addAll(args);
        return new ScriptCall(argv, env, context.request().domainXml(), timeout, log, Path.of(env.get("LIBVIRT_HOOKS_STATE_DIR")));
    }

    private static Map<String, String> environment(FeatureContext context, Path stateDir, Path script, Duration timeout,
            Map<String, String> opts) {
        HookInvocation invocation = context.invocation();
        // Created by the runner just before the script runs: a dry run creates nothing.
        Path folder = stateFolderOf(stateDir, invocation.vmName());
        Map<String, String> env = new LinkedHashMap<>();
        env.put("LIBVIRT_HOOKS_VM", invocation.vmName());
        env.put("LIBVIRT_HOOKS_UUID", context.request().uuid());
        env.put("LIBVIRT_HOOKS_EVENT", invocation.event());
        env.put("LIBVIRT_HOOKS_OPERATION", invocation.operation().word());
        env.put("LIBVIRT_HOOKS_SUB_OPERATION", invocation.subOperation());
        env.put("LIBVIRT_HOOKS_STATE_DIR", folder.toString());
        env.put("LIBVIRT_HOOKS_SCRIPT", script.toString());
        env.put("LIBVIRT_HOOKS_TIMEOUT", Long.toString((timeout.toMillis() + 999) / 1000));
        opts.forEach((k, v) -> env.put("LIBVIRT_HOOKS_OPT_" + k.toUpperCase(Locale.ROOT).replace('-', '_'), v));
        return env;
    }

    /**
     * A damaged or planted journal must not make the hook write a script's log and state files
     * anywhere: its state-dir must be the folder the journal was read from.
     */
    private static void requireOwnStateDir(ScriptClaim claim, FeatureContext context) {
        String own = context.options().get(ScriptOptions.STATE_DIR);
        Path named = claim.stateDir().normalize();
        if (own == null || !named.equals(claim.stateDir()) || !named.equals(Path.of(own).toAbsolutePath().normalize())) {
            throw new FeatureException("refused to run " + claim.run() + ": the journal names state-dir " + claim.stateDir()
                    + ", not this hook's " + own + "; this entry was not written by libvirt-hooks (check the journal, then delete it)");
        }
    }

    /**
     * The system's own programs: a script is the user's own executable, never one of these. A
     * damaged or planted journal naming {@code /usr/sbin/reboot} or {@code /usr/bin/rm} must not
     * make release or restore run it as root with the VM's name as an argument.
     */
    static final List<Path> SYSTEM_PROGRAMS = List.of("/bin", "/sbin", "/usr/bin", "/usr/sbin", "/lib", "/lib32", "/lib64",
            "/libx32", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32", "/usr/libexec", "/usr/games").stream()
            .map(Path::of).toList();

    private void check(Path file) {
        safety.check(file, "script", true);
        for (Path candidate : List.of(file.normalize(), realPath(file))) {
            for (Path system : SYSTEM_PROGRAMS) {
                if (candidate.startsWith(system)) {
                    throw new FeatureException("script: " + file + (candidate.equals(file.normalize()) ? "" : " (" + candidate + ")")
                            + " is one of the system's own programs, not a script: write a script of your own (for example in"
                            + " /etc/libvirt-hooks/scripts/) that runs it with the arguments you mean");
                }
            }
        }
    }

    private static Path realPath(Path file) {
        try {
            return file.toRealPath();
        } catch (java.io.IOException e) {
            // SafePath has just resolved it; a file gone since is refused when it runs.
            return file.normalize();
        }
    }

    private String verdict(ScriptSpec spec) {
        try {
            check(spec.exec());
            spec.undo().ifPresent(this::check);
            return "";
        } catch (FeatureException e) {
            return " REFUSED: " + e.getMessage();
        }
    }

    /** Where libvirt cannot abort, a failing script can only warn. */
    private static ScriptSpec.Failure effective(ScriptSpec spec, HookInvocation invocation) {
        return invocation.operation().abortsOnFailure() ? spec.failure() : ScriptSpec.Failure.WARN;
    }

    /** {@code 30s}, {@code 500ms}, {@code 2m}. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
