package io.github.libvirthooks.features.engine;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.script.ProcessScriptRunner;
import io.github.libvirthooks.features.script.ScriptRunner;
import io.github.libvirthooks.features.state.DamagedJournal;
import io.github.libvirthooks.features.state.JournalEntry;
import io.github.libvirthooks.features.state.VmJournal;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What a feature sees during one hook run.
 *
 * @param request     the hook event: its invocation, the domain XML as libvirt sent it and the parsed domain
 * @param options     this feature's options (metadata attributes merged over properties)
 * @param host        host file access; in {@code apply} every write is journaled first
 * @param claimedHost host file access for resources a claim tracks: every write, trigger, creation
 *                    and removal is journaled as a step of this feature's last claim (not as a file
 *                    change the engine would put back, because the claim says how to give back a
 *                    share of a counted resource); refused before the feature has claimed anything
 * @param commands    host command access
 * @param scripts     runs the user's scripts (a dry run records them instead)
 * @param journals    the readable journals of every VM that has state, this VM's excluded, to count shared claims
 * @param damagedJournals the other VMs' journals that cannot be read: while there is one, shared claims cannot be
 *                    counted (see {@link #otherClaims} and {@link #requireCountableClaims})
 * @param claims      records or updates a claim in this VM's journal before the host is touched
 * @param effects     receives the feature's decisions as values, for {@code plan --json}
 * @param report      receives a line for each thing done, for the user
 */
public record FeatureContext(
        HookRequest request,
        Map<String, String> options,
        HostRoot host,
        HostRoot claimedHost,
        CommandRunner commands,
        ScriptRunner scripts,
        List<VmJournal> journals,
        List<DamagedJournal> damagedJournals,
        ClaimRecorder claims,
        Effects effects,
        Consumer<String> report) {

    public FeatureContext {
        journals = List.copyOf(journals);
        damagedJournals = List.copyOf(damagedJournals);
    }

    /** A context for a feature's own tests: real script processes, effects ignored. */
    public FeatureContext(HookInvocation invocation, Domain domain, Map<String, String> options, HostRoot host, HostRoot claimedHost,
            CommandRunner commands, List<VmJournal> journals, List<DamagedJournal> damagedJournals, ClaimRecorder claims,
            Consumer<String> report) {
        this(HookRequest.of(invocation, domain), options, host, claimedHost, commands, new ProcessScriptRunner(commands), journals,
                damagedJournals, claims, Effects.IGNORED, report);
    }

    /** A context where every other VM's journal could be read (features' own tests). */
    public FeatureContext(HookInvocation invocation, Domain domain, Map<String, String> options, HostRoot host, HostRoot claimedHost,
            CommandRunner commands, List<VmJournal> journals, ClaimRecorder claims, Consumer<String> report) {
        this(invocation, domain, options, host, claimedHost, commands, journals, List.of(), claims, report);
    }

    /** The hook event. */
    public HookInvocation invocation() {
        return request.invocation();
    }

    /** The VM's parsed domain XML. */
    public Domain domain() {
        return request.domain();
    }

    /** Records one value of this feature's decision for {@code plan} (see {@link Effects}). */
    public void effect(String name, Object value) {
        effects.put(name, value);
    }

    /** Records a typed claim in this VM's journal before the resource is taken. */
    public <C> void claim(ClaimCodec<C> codec, C claim) {
        claims.record(entry(codec, claim));
    }

    /** Replaces this feature's claim on the same resource with its new numbers (what was really taken, or given back so far). */
    public <C> void updateClaim(ClaimCodec<C> codec, C claim) {
        claims.update(entry(codec, claim));
    }

    private static <C> JournalEntry entry(ClaimCodec<C> codec, C claim) {
        return JournalEntry.claim(codec.feature(), codec.resource(claim), codec.encode(claim));
    }

    /** Another VM's claim, with the VM that holds it. */
    public record VmClaim<C>(String vm, String resource, C claim) {
    }

    /**
     * Other VMs' claims on a resource, decoded, for counting.
     *
     * @throws DamagedJournalException when another VM's journal cannot be read
     * @throws FeatureException when another VM's claim cannot be decoded: it is unknown, not zero
     */
    public <C> List<C> otherClaims(ClaimCodec<C> codec, String resource) {
        return onResource(otherVmClaims(codec), resource);
    }

    /**
     * Other VMs' claims on a resource, from the journals that could be read only. For code that
     * handles {@link #damagedJournals()} itself: never conclude from it that no other VM uses
     * the resource while a journal is damaged.
     */
    public <C> List<C> readableOtherClaims(ClaimCodec<C> codec, String resource) {
        return onResource(readableOtherVmClaims(codec), resource);
    }

    private static <C> List<C> onResource(List<VmClaim<C>> claims, String resource) {
        List<C> on = new java.util.ArrayList<>();
        for (VmClaim<C> c : claims) {
            if (c.resource().equals(resource)) {
                on.add(c.claim());
            }
        }
        return List.copyOf(on);
    }

    /** Every claim of this codec's feature that other VMs hold, whatever the resource. */
    public <C> List<VmClaim<C>> otherVmClaims(ClaimCodec<C> codec) {
        requireCountableClaims();
        return readableOtherVmClaims(codec);
    }

    /** {@link #otherVmClaims} from the journals that could be read only. */
    public <C> List<VmClaim<C>> readableOtherVmClaims(ClaimCodec<C> codec) {
        List<VmClaim<C>> found = new java.util.ArrayList<>();
        for (VmJournal journal : journals) {
            for (JournalEntry e : journal.entries()) {
                if (e.kind() != JournalEntry.Kind.CLAIM || !e.feature().equals(codec.feature())) {
                    continue;
                }
                try {
                    found.add(new VmClaim<>(journal.vmName(), e.key(), codec.decode(e.key(), e.values())));
                } catch (IllegalArgumentException bad) {
                    throw new FeatureException("VM " + DamagedJournal.printable(journal.vmName()) + "'s journal holds a damaged "
                            + codec.feature() + " claim on " + e.key() + " (" + bad.getMessage() + "): what it holds is unknown;"
                            + " check it with 'libvirt-hooks status', then 'libvirt-hooks restore --vm' that VM");
                }
            }
        }
        return found;
    }

    /** Records a claim before the resource is taken, and updates it with what was really taken. */
    public interface ClaimRecorder {
        /** Appends a new claim. */
        void record(JournalEntry claim);

        /** Replaces the claim just recorded (same feature and key) with its final numbers. */
        void update(JournalEntry claim);
    }

    /**
     * Throws unless every other VM's journal could be read. At an event that takes or changes a
     * shared resource, the message refuses; at release, it says the resource is left as it is
     * (the engine then keeps the claim, so that {@code restore} can finish later).
     *
     * @throws DamagedJournalException naming the first damaged journal and what to do
     */
    public void requireCountableClaims() {
        if (damagedJournals.isEmpty()) {
            return;
        }
        throw invocation().operation() == HookOperation.RELEASE
                ? DamagedJournalException.keeping(invocation().vmName(), damagedJournals)
                : DamagedJournalException.refusing(damagedJournals);
    }
}
