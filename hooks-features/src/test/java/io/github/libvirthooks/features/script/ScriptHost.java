package io.github.libvirthooks.features.script;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.Feature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.engine.HookOutcome;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A sandbox for the script feature: a host tree, a state folder, a configuration folder with
 * real shell scripts, the real engine and the real process runner. Ownership is checked up to
 * the temporary folder only (its parent, /tmp, is everybody's).
 */
final class ScriptHost {
    final Path tmp;
    final Path root;
    final Path etc;
    final Path scripts;
    final Path out;
    final StateDirectory state;
    final List<String> lines = new ArrayList<>();
    final SafePath safety;

    ScriptHost(Path tmp) throws IOException {
        this.tmp = tmp;
        root = Files.createDirectories(tmp.resolve("host"));
        etc = Files.createDirectories(tmp.resolve("etc"));
        scripts = Files.createDirectories(etc.resolve("scripts"));
        out = Files.createDirectories(tmp.resolve("out"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-xr-x"));
        state = new StateDirectory(tmp.resolve("state"));
        Files.createDirectories(root.resolve("sys/marker"));
        Files.writeString(root.resolve("sys/marker/value"), "host\n");
        safety = new SafePath((Integer) Files.getAttribute(tmp, "unix:uid"), tmp);
    }

    /** Writes an executable shell script (mode 755). */
    Path script(String name, String body) throws IOException {
        return script(scripts.resolve(name), body);
    }

    Path script(Path file, String body) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    /** A file the scripts append to, to show what ran in which order. */
    Path trace() {
        return out.resolve("trace");
    }

    List<String> traced() throws IOException {
        return Files.exists(trace()) ? Files.readAllLines(trace()) : List.of();
    }

    String marker() throws IOException {
        return Files.readString(root.resolve("sys/marker/value")).strip();
    }

    HookEngine engine() {
        return new HookEngine(HostRoot.at(root), CommandRunner.system(), state,
                List.of(new MarkerFeature(), new ScriptFeature(safety)),
                Duration.ofSeconds(5), Clock.systemUTC());
    }

    static String xml(String name, String hooks) {
        String escaped = name.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;").replace("\"", "&quot;");
        return "<domain type='kvm'><name>" + escaped + "</name><uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>"
                + "<memory unit='MiB'>64</memory><metadata><hooks xmlns='urn:libvirt-hooks:1'>" + hooks + "</hooks></metadata></domain>";
    }

    /** Runs one event as QemuHook would: the XML kept for the scripts, the features enabled from the XML plus the folders. */
    HookOutcome run(String xml, String op, String sub) {
        return run(xml, op, sub, "-");
    }

    /** With libvirt's extra argument (at release, libvirt 10.5 and later give the reason there). */
    HookOutcome run(String xml, String op, String sub, String extra) {
        byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
        Domain domain = new DomainXmlParser().parse(bytes);
        HookInvocation invocation = HookInvocation.parse(List.of("qemu", domain.name(), op, sub, extra));
        Map<String, Map<String, String>> enabled = new LinkedHashMap<>();
        domain.hooksConfig().forEach((feature, options) -> {
            Map<String, String> withDirs = new LinkedHashMap<>(options);
            if (feature.equals(ScriptFeature.NAME)) {
                withDirs.put(ScriptOptions.SCRIPTS_DIR, etc.toString());
                withDirs.put(ScriptOptions.STATE_DIR, state.path().toString());
            }
            enabled.put(feature, withDirs);
        });
        if (!enabled.containsKey(ScriptFeature.NAME) && new ScriptFolders(etc).anyFor(domain.name())) {
            enabled.put(ScriptFeature.NAME, Map.of(ScriptOptions.SCRIPTS_DIR, etc.toString(), ScriptOptions.STATE_DIR,
                    state.path().toString()));
        }
        return engine().run(new io.github.libvirthooks.features.engine.HookRequest(invocation, bytes, domain),
                invocation.operation() == HookOperation.RELEASE ? Map.of() : enabled, lines::add);
    }

    /** A built-in-like feature that changes one host file at prepare, journaled, so rollback order shows. */
    static final class MarkerFeature implements Feature {
        @Override
        public String name() {
            return "marker";
        }

        @Override
        public Set<HookOperation> actsOn() {
            return Set.of(HookOperation.PREPARE);
        }

        @Override
        public void apply(FeatureContext context) {
            context.host().write("/sys/marker/value", "vm");
        }
    }
}
