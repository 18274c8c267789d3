package io.github.libvirthooks.features.engine;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A feature whose steps a test scripts: at apply it may record a claim, write a host file
 * (journaled by the engine) and then fail; undoing its claim may fail a number of times before
 * it works. Every step it takes goes to {@code log} as {@code "apply NAME"} and
 * {@code "undo   NAME: claim RESOURCE"}, the same stream the engine's report lines can go to,
 * so a test reads the order of everything that happened in one list.
 */
final class ScriptedFeature implements ClaimingFeature<ScriptedFeature.Token> {
    private final String name;
    private final Consumer<String> log;
    private final Set<HookOperation> actsOn = EnumSet.of(HookOperation.PREPARE);
    private boolean claims;
    private String writePath;
    private String writeValue;
    private String failure;
    private int undoFailuresLeft;

    /** Its claim: one token of a counted resource, as a built-in feature's typed claim. */
    record Token(String resource, long count) {
    }

    private final ClaimCodec<Token> codec = new ClaimCodec<>() {
        @Override
        public String feature() {
            return name;
        }

        @Override
        public String resource(Token claim) {
            return claim.resource();
        }

        @Override
        public Map<String, String> encode(Token claim) {
            return Map.of("count", Long.toString(claim.count()));
        }

        @Override
        public Token decode(String resource, Map<String, String> values) {
            return new Token(resource, ClaimCodec.number(values, "count"));
        }
    };

    ScriptedFeature(String name, Consumer<String> log) {
        this.name = name;
        this.log = log;
    }

    /** At apply, records a claim on resource {@code "token-NAME"} before anything else. */
    ScriptedFeature claims() {
        this.claims = true;
        return this;
    }

    /** At apply, after its claim, writes {@code value} to the host file {@code path}. */
    ScriptedFeature writes(String path, String value) {
        this.writePath = path;
        this.writeValue = value;
        return this;
    }

    /** At apply, after its claim and write, fails with {@code message}. */
    ScriptedFeature failsApply(String message) {
        this.failure = message;
        return this;
    }

    /** Undoing its claim fails the first {@code times} tries. */
    ScriptedFeature failsUndo(int times) {
        this.undoFailuresLeft = times;
        return this;
    }

    /** Acts on these operations instead of prepare only. */
    ScriptedFeature actsOn(HookOperation first, HookOperation... more) {
        actsOn.clear();
        actsOn.add(first);
        actsOn.addAll(List.of(more));
        return this;
    }

    String resource() {
        return "token-" + name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Set<HookOperation> actsOn() {
        return Set.copyOf(actsOn);
    }

    @Override
    public ClaimCodec<Token> claimCodec() {
        return codec;
    }

    @Override
    public void apply(FeatureContext context) {
        log.accept("apply " + name);
        if (claims) {
            context.claim(codec, new Token(resource(), 1));
        }
        if (writePath != null) {
            context.host().write(writePath, writeValue);
        }
        if (failure != null) {
            throw new FeatureException(name + ": " + failure);
        }
    }

    @Override
    public void undo(Token claim, FeatureContext context) {
        if (undoFailuresLeft > 0) {
            undoFailuresLeft--;
            log.accept("undo   " + name + ": claim " + claim.resource() + " failed");
            throw new IllegalStateException("device busy");
        }
        log.accept("undo   " + name + ": claim " + claim.resource());
    }
}
