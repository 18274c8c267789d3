package io.github.libvirthooks.features.engine;

import io.github.libvirthooks.features.domain.Domain;

/**
 * One hook event as libvirt sent it: the invocation, the domain XML as read from standard input
 * (kept byte for byte: the user's scripts get it on theirs) and the parsed domain.
 *
 * @param invocation the hook's arguments
 * @param domainXml  the domain XML as libvirt wrote it; empty where there was none (restore by hand, plan)
 * @param domain     the parsed domain
 */
public record HookRequest(HookInvocation invocation, byte[] domainXml, Domain domain) {
    public HookRequest {
        domainXml = domainXml.clone();
    }

    /** A request without the raw XML: {@code plan}, {@code restore} by hand, tests. */
    public static HookRequest of(HookInvocation invocation, Domain domain) {
        return new HookRequest(invocation, new byte[0], domain);
    }

    @Override
    public byte[] domainXml() {
        return domainXml.clone();
    }
}
