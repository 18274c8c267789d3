package io.github.libvirthooks.features.script;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The domain XML libvirt wrote to this process's standard input, kept as read, so that scripts
 * get it on their standard input too. Standard input belongs to the process, and a hook process
 * handles exactly one event, so this is process-wide; {@code QemuHook} sets it after reading.
 * Empty where there is no libvirt event ({@code restore} by hand, {@code plan}).
 */
public final class HookInput {
    private static final AtomicReference<byte[]> DOMAIN_XML = new AtomicReference<>(new byte[0]);

    private HookInput() {
    }

    /** Keeps the domain XML as libvirt passed it. */
    public static void domainXml(byte[] xml) {
        DOMAIN_XML.set(xml.clone());
    }

    /** The domain XML as libvirt passed it; empty when none was read. */
    public static byte[] domainXml() {
        return DOMAIN_XML.get().clone();
    }
}
