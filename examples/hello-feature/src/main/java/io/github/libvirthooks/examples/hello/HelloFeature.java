package io.github.libvirthooks.examples.hello;

import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.engine.ClaimingFeature;
import io.github.libvirthooks.features.engine.FeatureContext;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.HookOperation;
import java.util.Map;
import java.util.Set;

/**
 * {@code hello}: an example feature from its own jar. At {@code prepare} it greets the VM and
 * journals the greeting as a typed claim; at {@code release} the engine hands the claim back and
 * the feature says goodbye. Enable it per VM with {@code <hello greeting="hi"/>} in the VM's
 * {@code <hooks xmlns="urn:libvirt-hooks:1">} metadata.
 *
 * <p>A real feature changes the host through {@code context.host()} (every write is journaled
 * before it happens and undone at release by the engine), or, for what its claim gives back,
 * through {@code context.claimedHost()} after {@code context.claim(...)}, and runs commands
 * through {@code context.commands()} (argument lists, time limits). It never calls libvirt:
 * libvirtd waits for the hook and would deadlock.
 */
public final class HelloFeature implements ClaimingFeature<HelloFeature.Greeting> {
    /** The claim: what the VM was greeted with. */
    public record Greeting(String text) {
    }

    /**
     * The claim in the journal, which is text: its resource and values. Keep the keys readable
     * when the record grows, since a journal written by this version is undone by the next one.
     */
    static final ClaimCodec<Greeting> CODEC = new ClaimCodec<>() {
        @Override
        public String feature() {
            return "hello";
        }

        @Override
        public String resource(Greeting claim) {
            return "greeting";
        }

        @Override
        public Map<String, String> encode(Greeting claim) {
            return Map.of("text", claim.text());
        }

        @Override
        public Greeting decode(String resource, Map<String, String> values) {
            return new Greeting(ClaimCodec.required(values, "text"));
        }
    };

    @Override
    public String name() {
        return "hello";
    }

    @Override
    public Set<HookOperation> actsOn() {
        return Set.of(HookOperation.PREPARE);
    }

    @Override
    public ClaimCodec<Greeting> claimCodec() {
        return CODEC;
    }

    @Override
    public void apply(FeatureContext context) {
        String greeting = greeting(context.options());
        // A claim is journaled before the work, so release (or 'libvirt-hooks restore') gets it back even after a crash.
        context.claim(CODEC, new Greeting(greeting));
        context.report().accept("claim  hello: " + greeting + ", " + context.domain().name());
    }

    @Override
    public void undo(Greeting claim, FeatureContext context) {
        context.report().accept("undo   hello: goodbye, " + context.invocation().vmName() + " (greeted with '" + claim.text() + "')");
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
