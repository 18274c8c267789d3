package io.github.libvirthooks.deployment.lab;

import io.github.libvirthooks.deployment.lab.probe.LabProbe;
import io.github.libvirthooks.sysfs.HostRoot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The directory the lab guest mounts read-only as its {@code program} share, assembled from
 * the reactor's build outputs:
 * <pre>
 * run-in-guest.sh, bin/, setup/, checks/   from deployment/lab/guest-tests
 * lib/hooks-sysfs.jar              the hooks-sysfs this build made (or lib/hooks-sysfs/ classes)
 * lib/lab-probe/                   the compiled {@link LabProbe}
 * dist/                            the unpacked distribution this build made (installer.sh, app/, share/)
 * packages/                        the .deb this build made (05-install installs it)
 * </pre>
 * run-in-guest.sh puts every {@code lib/*.jar} and {@code lib/*}/ directory on the checks'
 * classpath.
 */
final class LabProgramShare {
    private LabProgramShare() {
    }

    /**
     * Empties {@code target} and fills it.
     *
     * @param guestTests the lab's {@code guest-tests} directory
     * @param keepCheck  which {@code checks/*.sh} and {@code setup/*.sh} file names to ship
     * @param distribution the unpacked distribution to ship as {@code dist/}, if any
     * @return the names of the shipped checks without {@code .sh}, in run order
     */
    static List<String> assemble(Path guestTests, Path target, Predicate<String> keepCheck, Optional<Path> distribution) {
        return assemble(guestTests, target, keepCheck, distribution, Optional.empty());
    }

    /** As above, with the .deb to ship in {@code packages/}. */
    static List<String> assemble(Path guestTests, Path target, Predicate<String> keepCheck, Optional<Path> distribution,
            Optional<Path> debPackage) {
        try {
            deleteTree(target);
            copyTree(guestTests, target);
            for (String dir : List.of("checks", "setup")) {
                if (!Files.isDirectory(target.resolve(dir))) {
                    continue;
                }
                try (Stream<Path> scripts = Files.list(target.resolve(dir))) {
                    for (Path script : scripts.toList()) {
                        if (!keepCheck.test(script.getFileName().toString())) {
                            Files.delete(script);
                        }
                    }
                }
            }
            Path lib = target.resolve("lib");
            Files.createDirectories(lib);
            Path sysfs = codeSource(HostRoot.class);
            if (Files.isDirectory(sysfs)) {
                copyTree(sysfs, lib.resolve("hooks-sysfs"));
            } else {
                Files.copy(sysfs, lib.resolve("hooks-sysfs.jar"), StandardCopyOption.COPY_ATTRIBUTES);
            }
            String probePackage = LabProbe.class.getPackageName().replace('.', '/');
            copyTree(codeSource(LabProbe.class).resolve(probePackage), lib.resolve("lab-probe").resolve(probePackage));
            if (distribution.isPresent()) {
                copyTree(distribution.get(), target.resolve("dist"));
            }
            if (debPackage.isPresent()) {
                Files.createDirectories(target.resolve("packages"));
                Files.copy(debPackage.get(), target.resolve("packages").resolve(debPackage.get().getFileName().toString()));
            }
            try (Stream<Path> checks = Files.list(target.resolve("checks"))) {
                return checks.map(p -> p.getFileName().toString())
                        .filter(n -> n.endsWith(".sh"))
                        .map(n -> n.substring(0, n.length() - ".sh".length()))
                        .sorted()
                        .toList();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot assemble the lab's program share in " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * The unpacked distribution the reactor built at {@code package}:
     * {@code BUILD_DIR/libvirt-hooks-VERSION/libvirt-hooks-VERSION/} with {@code installer.sh}.
     *
     * @throws IllegalStateException when there is none, or more than one
     */
    static Path distribution(Path buildDir) {
        List<Path> found;
        try (Stream<Path> dirs = Files.list(buildDir)) {
            found = dirs.filter(Files::isDirectory)
                    .filter(d -> d.getFileName().toString().startsWith("libvirt-hooks-"))
                    .map(d -> d.resolve(d.getFileName()))
                    .filter(d -> Files.isRegularFile(d.resolve("installer.sh")))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot look for the distribution in " + buildDir + ": " + e.getMessage(), e);
        }
        if (found.size() != 1) {
            throw new IllegalStateException((found.isEmpty() ? "no unpacked distribution" : "several distributions " + found)
                    + " in " + buildDir + " (libvirt-hooks-VERSION/libvirt-hooks-VERSION/installer.sh); run the lab after"
                    + " 'package' (./mvnw verify does), and 'mvn clean' when an old version is left");
        }
        return found.get(0);
    }

    /**
     * The .deb the reactor built at {@code package}: {@code BUILD_DIR/libvirt-hooks_VERSION_all.deb}.
     *
     * @throws IllegalStateException when there is none, or more than one
     */
    static Path debPackage(Path buildDir) {
        List<Path> found;
        try (Stream<Path> files = Files.list(buildDir)) {
            found = files.filter(f -> f.getFileName().toString().matches("libvirt-hooks_.*_all\\.deb")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot look for the .deb in " + buildDir + ": " + e.getMessage(), e);
        }
        if (found.size() != 1) {
            throw new IllegalStateException((found.isEmpty() ? "no .deb" : "several .debs " + found) + " in " + buildDir
                    + " (libvirt-hooks_VERSION_all.deb); run the lab after 'package' (./mvnw verify does), and 'mvn clean'"
                    + " when an old version is left");
        }
        return found.get(0);
    }

    /** Where a class was loaded from: a jar, or a classes directory inside the reactor. */
    static Path codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot tell where " + type.getName() + " was loaded from", e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Copies a tree keeping file modes: bin/lab-probe must stay executable in the guest. */
    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path source : walk.toList()) {
                Path dest = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(source, dest, StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
