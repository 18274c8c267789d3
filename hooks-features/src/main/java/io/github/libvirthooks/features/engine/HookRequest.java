package io.github.libvirthooks.features.engine;

import io.github.libvirthooks.features.domain.Domain;
import java.util.Objects;
import java.util.Optional;

/**
 * One hook event as libvirt sent it: the invocation, the domain XML as read from standard input
 * (kept byte for byte: the user's scripts get it on theirs) and the parsed domain. {@code restore}
 * by hand has no domain: it undoes a journal, which knows the VM by name and uuid only.
 *
 * @param invocation the hook's arguments
 * @param domainXml  the domain XML as libvirt wrote it; empty where there was none (restore by hand, plan)
 * @param parsed     the parsed domain; empty for {@code restore} by hand
 * @param uuid       the VM's uuid: the domain's, or the journal's at restore (empty when unknown)
 */
public record HookRequest(HookInvocation invocation, byte[] domainXml, Optional<Domain> parsed, String uuid) {
    public HookRequest {
        domainXml = domainXml.clone();
        Objects.requireNonNull(parsed, "parsed");
        Objects.requireNonNull(uuid, "uuid");
    }

    /** An event with the XML libvirt sent. */
    public HookRequest(HookInvocation invocation, byte[] domainXml, Domain domain) {
        this(invocation, domainXml, Optional.of(domain), domain.uuid());
    }

    /** A request without the raw XML: {@code plan}, tests. */
    public static HookRequest of(HookInvocation invocation, Domain domain) {
        return new HookRequest(invocation, new byte[0], domain);
    }

    /** {@code restore} by hand: only the journal's VM name (in the invocation) and uuid. */
    public static HookRequest withoutDomain(HookInvocation invocation, String uuid) {
        return new HookRequest(invocation, new byte[0], Optional.empty(), uuid);
    }

    /**
     * The parsed domain.
     *
     * @throws IllegalStateException at {@code restore} by hand, which has none: an undo works from its claim and
     *         {@link #uuid()}, never from the domain
     */
    public Domain domain() {
        if (parsed.isEmpty()) {
            throw new IllegalStateException("no domain XML at restore: an undo must work from its claim");
        }
        return parsed.get();
    }

    @Override
    public byte[] domainXml() {
        return domainXml.clone();
    }
}
