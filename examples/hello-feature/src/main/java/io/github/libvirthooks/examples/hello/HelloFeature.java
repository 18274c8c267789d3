package io.github.libvirthooks.examples.hello;

import io.github.libvirthooks.features.engine.Feature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.state.JournalEntry;
import java.util.Map;
import java.util.Set;

/**
 * {@code hello}: an example feature from its own jar. At {@code prepare} it greets the VM and
 * journals the greeting as a claim; at {@code release} the engine hands the claim back and the
 * feature says goodbye. Enable it per VM with {@code <hello greeting="hi"/>} in the VM's
 * {@code <hooks xmlns="urn:libvirt-hooks:1">} metadata.
 *
 * <p>A real feature changes the host through {@code context.host()} (every write is journaled
 * before it happens and undone at release by the engine) and runs commands through
 * {@code context.commands()} (argument lists, time limits). It never calls libvirt: libvirtd
 * waits for the hook and would deadlock.
 */
public final class HelloFeature implements Feature {
    @Override
    public String name() {
        return "hello";
    }

    @Override
    public Set<HookOperation> actsOn() {
        return Set.of(HookOperation.PREPARE);
    }

    @Override
    public void apply(FeatureContext context) {
        String greeting = greeting(context.options());
        // A claim is journaled before the work, so release (or 'libvirt-hooks restore') gets it back even after a crash.
        context.claims().record(JournalEntry.claim(name(), "greeting", Map.of("text", greeting)));
        context.report().accept("claim  hello: " + greeting + ", " + context.domain().name());
    }

    @Override
    public void undoClaim(JournalEntry claim, FeatureContext context) {
        context.report().accept("undo   hello: goodbye, " + context.invocation().vmName() + " (greeted with '"
                + claim.values().get("text") + "')");
    }

    private static String greeting(Map<String, String> options) {
        for (String key : options.keySet()) {
            if (!key.equals("greeting")) {
                // Bad configuration stops the start at prepare, before anything changed, naming the option.
                throw new FeatureException("unknown option '" + key + "' for hello; it takes: greeting");
            }
        }
        return options.getOrDefault("greeting", "hello");
    }
}
