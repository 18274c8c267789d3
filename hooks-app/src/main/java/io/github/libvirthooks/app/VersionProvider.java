package io.github.libvirthooks.app;

import picocli.CommandLine.IVersionProvider;

/** Reads the version from the jar manifest, so that it is never out of date. */
public class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = VersionProvider.class.getPackage().getImplementationVersion();
        return new String[] {"libvirt-hooks " + (version == null ? "development build" : version)};
    }
}
