package io.github.libvirthooks.app.hostpower;

import io.github.libvirthooks.features.hostpower.Virsh;
import picocli.CommandLine.Option;

/** The {@code --uri} option of the commands that talk to libvirt outside the QEMU hook. */
public class LibvirtUriOption {
    @Option(names = "--uri", paramLabel = "URI", defaultValue = Virsh.SYSTEM_URI,
            description = "The libvirt connection (default: ${DEFAULT-VALUE}).")
    String uri;
}
