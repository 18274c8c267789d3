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
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The directory the lab guest mounts read-only as its {@code program} share, assembled from
 * the reactor's build outputs:
 * <pre>
 * run-in-guest.sh, bin/, checks/   from deployment/lab/guest-tests
 * lib/hooks-sysfs.jar              the hooks-sysfs this build made (or lib/hooks-sysfs/ classes)
 * lib/lab-probe/                   the compiled {@link LabProbe}
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
     * @param keepCheck  which {@code checks/*.sh} file names to ship
     * @return the names of the shipped checks without {@code .sh}, in run order
     */
    static List<String> assemble(Path guestTests, Path target, Predicate<String> keepCheck) {
        try {
            deleteTree(target);
            copyTree(guestTests, target);
            try (Stream<Path> checks = Files.list(target.resolve("checks"))) {
                for (Path check : checks.toList()) {
                    if (!keepCheck.test(check.getFileName().toString())) {
                        Files.delete(check);
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
