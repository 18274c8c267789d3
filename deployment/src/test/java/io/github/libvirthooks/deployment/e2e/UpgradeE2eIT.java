package io.github.libvirthooks.deployment.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An upgrade while a VM runs, on this machine's real libvirtd: the previous release (the commit
 * e2e/previous-release names, built from this clone's history) is installed, a hugepages VM is
 * started under it, the current build is installed over it, and the VM's stop, run by the new
 * hook from the old hook's journal, gives every page back.
 */
class UpgradeE2eIT {
    private static final Path WORK = Path.of("target/e2e-upgrade").toAbsolutePath();
    private static final Path STATE = Path.of("/run/libvirt-hooks");
    private static final String VM = "e2e-upgrade";
    private static final Path CONFIG = Path.of("/etc/libvirt-hooks/application.properties");
    private static boolean installed;
    private static boolean configBefore;

    @BeforeAll
    static void previousRelease() throws Exception {
        Libvirt.assumeRootAndKvm("upgrade end-to-end test");
        configBefore = Files.exists(CONFIG);
        Files.createDirectories(WORK);
        Libvirt.destroyAndUndefine(VM);
    }

    @AfterAll
    static void uninstall() throws IOException {
        Libvirt.destroyAndUndefine(VM);
        if (installed) {
            Libvirt.Result uninstall = Libvirt.run(List.of("libvirt-hooks", "uninstall"), null, 120);
            assertThat(uninstall.exit()).as(uninstall.err()).isZero();
            // The previous release's skeleton differs from this one's, so uninstall keeps it as if
            // edited; the suites after this one start from a host without it.
            if (!configBefore) {
                Files.deleteIfExists(CONFIG);
                try {
                    Files.deleteIfExists(CONFIG.getParent());
                } catch (java.nio.file.DirectoryNotEmptyException e) {
                    // another file of the user's is there: leave the folder
                }
            }
        }
    }

    @Test
    void installingTheCurrentBuildOverThePreviousReleaseWhileAVmRunsGivesEverythingBackAtItsStop() throws Exception {
        Path previous = buildPreviousRelease();
        Libvirt.up(false);
        long before = Libvirt.nrHugepages();
        Libvirt.Result old = install(previous);
        installed = true;
        assertThat(old.exit()).as("the previous release installs: " + old.err() + old.out()).isZero();
        Libvirt.up(true);
        Libvirt.define(WORK, Libvirt.domain(VM, 64, true, "<hugepages/>"));
        assertThat(Libvirt.virsh("start", VM).ok()).isTrue();
        assertThat(Libvirt.nrHugepages()).as("the previous release's hook reserved the VM's pages").isEqualTo(before + 32);
        List<String> journals = journalTexts();
        assertThat(journals).hasSize(1);

        Libvirt.Result current = install(Libvirt.distribution());
        assertThat(current.exit()).as("the current build installs over it: " + current.err() + current.out()).isZero();
        assertThat(journalTexts()).as("the running VM's journal survives the upgrade").isEqualTo(journals);
        Libvirt.Result status = Libvirt.run(List.of("libvirt-hooks", "status"), null, 120);
        assertThat(status.out()).as("the new command reads the old journal").contains(VM);

        assertThat(Libvirt.virsh("destroy", VM).ok()).isTrue();
        assertThat(Libvirt.nrHugepages()).as("the new hook gave back what the old one took").isEqualTo(before);
        assertThat(journalTexts()).isEmpty();
        System.out.println("RELIABILITY real-libvirtd-upgrade from=" + previousCommit().substring(0, 12) + " left-applied=0");
    }

    /** The previous release, built offline with the Maven wrapper from this clone's history. */
    private static Path buildPreviousRelease() throws IOException {
        String commit = previousCommit();
        Path repo = Path.of("..").toAbsolutePath().normalize();
        Libvirt.Result known = Libvirt.run(List.of("git", "-C", repo.toString(), "cat-file", "-e", commit + "^{commit}"), null, 30);
        Assumptions.assumeTrue(known.ok(), "the previous release " + commit + " is not in this clone's history (a shallow clone?):"
                + " the upgrade test needs it");
        Path tree = WORK.resolve("previous");
        Libvirt.deleteTree(tree);
        Files.createDirectories(tree);
        Path archive = WORK.resolve("previous.tar");
        Libvirt.Result export = Libvirt.run(List.of("git", "-C", repo.toString(), "archive", "--format=tar", "-o", archive.toString(),
                commit), null, 120);
        assertThat(export.exit()).as(export.err()).isZero();
        Libvirt.Result unpack = Libvirt.run(List.of("tar", "-xf", archive.toString(), "-C", tree.toString()), null, 120);
        assertThat(unpack.exit()).as(unpack.err()).isZero();
        Libvirt.Result build = Libvirt.run(List.of("sh", tree.resolve("mvnw").toString(), "-f", tree.resolve("pom.xml").toString(),
                "-B", "-q", "-o", "-DskipTests", "package", "-pl", "deployment", "-am"), null, 1200);
        assertThat(build.exit()).as("building the previous release: " + build.out() + build.err()).isZero();
        List<Path> found = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(tree.resolve("deployment/target"), 3)) {
            walk.filter(p -> p.getFileName().toString().equals("installer.sh")).forEach(found::add);
        }
        assertThat(found).as("the previous release's distribution").hasSize(1);
        return found.get(0).getParent();
    }

    private static String previousCommit() throws IOException {
        return Files.readAllLines(Path.of("e2e/previous-release")).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).findFirst().orElseThrow();
    }

    private static Libvirt.Result install(Path distribution) {
        String java = ProcessHandle.current().info().command().orElse("java");
        return Libvirt.run(List.of("sh", distribution.resolve("installer.sh").toString(), "-i", "--java", java), null, 300);
    }

    private static List<String> journalTexts() throws IOException {
        if (!Files.isDirectory(STATE)) {
            return List.of();
        }
        List<String> texts = new ArrayList<>();
        try (Stream<Path> files = Files.list(STATE)) {
            for (Path p : (Iterable<Path>) files.filter(f -> f.getFileName().toString().endsWith(".journal")).sorted()::iterator) {
                texts.add(Files.readString(p));
            }
        }
        return texts;
    }
}
