package io.github.libvirthooks.deployment.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution packages {@code package} built (packaging/build-packages.sh): the .deb, the
 * rpm and the Arch package ship the same files with the same modes and owners (the Arch one
 * adds its two alpm hooks), every one's scriptlets call the same package-hooks.sh, the .deb
 * says what it needs and keeps the config as a conffile, and lintian finds no error in it.
 * Neither the rpm nor the Arch package can be installed here: they are built and read back.
 * Runs in {@code verify}, after {@code package}; needs dpkg-deb, rpm, makepkg, bsdtar and
 * lintian (.ci/run installs them) and fails, naming what is missing, without them.
 */
class PackagesIT {
    private static final Path TARGET = Path.of(System.getProperty("packages.dir", "target")).toAbsolutePath();
    private static final Set<String> ARCH_ONLY = Set.of(
            "-rw-r--r-- root/root /usr/share/libalpm/hooks/libvirt-hooks-remove.hook",
            "-rw-r--r-- root/root /usr/share/libalpm/hooks/libvirt-hooks-jdk.hook");

    private static final Path SKELETON = Path.of(
            "../hooks-features/src/main/resources/io/github/libvirthooks/features/config/application.properties.skeleton");

    @TempDir
    Path tmp;

    @Test
    void theDebTheRpmAndTheArchPackageShipTheSameFilesWithTheSameModes() throws Exception {
        Set<String> deb = ours(run("dpkg-deb", "-c", deb().toString()).lines().map(l -> fields(l, 0, 1, 5)).toList());
        Set<String> rpm = ours(run("rpm", "-qp", "--qf", "[%{FILEMODES:perms} %{FILEUSERNAME}/%{FILEGROUPNAME} %{FILENAMES}\\n]",
                rpm().toString()).lines().toList());
        Set<String> arch = ours(run("bsdtar", "-tvf", arch().toString()).lines()
                .map(l -> fields(l, 0, 2, 3, 8)).map(l -> l.replaceFirst(" (\\S+) (\\S+) ", " $1/$2 "))
                .filter(l -> !l.matches(".* \\.(PKGINFO|BUILDINFO|MTREE|INSTALL)")).toList());

        assertThat(deb).contains("-rwxr-xr-x root/root /usr/lib/libvirt-hooks/package-hooks.sh",
                "-rwxr-xr-x root/root /usr/lib/libvirt-hooks/share/qemu-hook",
                "-rw-r--r-- root/root /etc/libvirt-hooks/application.properties",
                "-rw-r--r-- root/root /usr/lib/libvirt-hooks/app/quarkus-run.jar",
                "drwxr-xr-x root/root /usr/lib/libvirt-hooks/app", "-rw-r--r-- root/root /usr/share/doc/libvirt-hooks/copyright");
        assertThat(deb).as("what the .deb ships, against the rpm").hasSizeGreaterThan(50).isEqualTo(rpm);
        Set<String> archWithoutHooks = new TreeSet<>(arch);
        assertThat(archWithoutHooks.removeAll(ARCH_ONLY)).isTrue();
        assertThat(arch).containsAll(ARCH_ONLY);
        assertThat(archWithoutHooks).as("what the Arch package ships besides its alpm hooks, against the .deb").isEqualTo(deb);
    }

    @Test
    void theDebNeedsAJavaRuntimeLibvirtAndUtilLinuxAndKeepsItsConfig() throws Exception {
        String control = run("dpkg-deb", "-f", deb().toString());
        assertThat(control).contains("Package: libvirt-hooks\n", "Architecture: all\n")
                .contains("Depends: default-jre-headless (>= 2:1.17) | java17-runtime-headless, libvirt-daemon (>= 6.5),"
                        + " util-linux (>= 2.33)\n")
                .contains("Suggests: samba, ddcutil, qemu-guest-agent\n");
        Path control2 = tmp.resolve("DEBIAN");
        run("dpkg-deb", "-e", deb().toString(), control2.toString());
        assertThat(Files.readString(control2.resolve("conffiles"))).isEqualTo("/etc/libvirt-hooks/application.properties\n");
        assertThat(Files.readString(control2.resolve("triggers"))).isEqualTo("interest-noawait /usr/lib/jvm\n");
        assertThat(run("rpm", "-qp", "--configfiles", rpm().toString())).isEqualTo("/etc/libvirt-hooks/application.properties\n");
        assertThat(run("bsdtar", "-xOf", arch().toString(), ".PKGINFO")).contains("backup = etc/libvirt-hooks/application.properties\n")
                .contains("depend = java-runtime-headless>=17\n", "depend = libvirt>=6.5\n");
        // The config file the packages ship is the skeleton install would write: an unedited one
        // is the same file whichever of the two put it there.
        run("dpkg-deb", "-x", deb().toString(), tmp.resolve("root").toString());
        assertThat(tmp.resolve("root/etc/libvirt-hooks/application.properties")).hasSameTextualContentAs(SKELETON);
    }

    @Test
    void aSnapshotsPackageVersionSortsBeforeItsRelease() throws Exception {
        String version = run("dpkg-deb", "-f", deb().toString(), "Version").strip();
        assertThat(version).doesNotContain("-").contains("~");
        assertThat(exitCode("dpkg", "--compare-versions", version, "lt", version.replaceFirst("~.*", ""))).isZero();
        String rpmVersion = run("rpm", "-qp", "--qf", "%{VERSION}", rpm().toString());
        assertThat(rpmVersion).isEqualTo(version);
        assertThat(run("rpm", "--eval", "%{lua: print(rpm.vercmp('" + rpmVersion + "', '" + rpmVersion.replaceFirst("~.*", "") + "'))}")
                .strip()).isEqualTo("-1");
    }

    @Test
    void everyPackagesScriptsCallTheSharedMaintainerScript() throws Exception {
        Path control = tmp.resolve("DEBIAN");
        run("dpkg-deb", "-e", deb().toString(), control.toString());
        assertThat(Files.readString(control.resolve("postinst"))).contains("configure|triggered)\n    #")
                .contains("/usr/lib/libvirt-hooks/package-hooks.sh configure");
        assertThat(Files.readString(control.resolve("prerm"))).contains("remove|deconfigure)\n    /usr/lib/libvirt-hooks/package-hooks.sh remove");
        assertThat(Files.readString(control.resolve("postrm"))).contains("rm -rf /etc/libvirt-hooks");

        String rpmScripts = run("rpm", "-qp", "--scripts", rpm().toString());
        assertThat(rpmScripts).doesNotContain("postinstall scriptlet");
        assertThat(rpmScripts.substring(rpmScripts.indexOf("preuninstall scriptlet"), rpmScripts.indexOf("posttrans scriptlet")))
                .contains("if [ \"$1\" -eq 0 ]; then\n  /usr/lib/libvirt-hooks/package-hooks.sh remove");
        assertThat(rpmScripts.substring(rpmScripts.indexOf("posttrans scriptlet")))
                .contains("/usr/lib/libvirt-hooks/package-hooks.sh configure");
        assertThat(run("rpm", "-qp", "--filetriggers", rpm().toString())).contains("transfiletriggerin")
                .contains("-- /usr/lib/jvm").contains("package-hooks.sh configure");

        assertThat(run("bsdtar", "-xOf", arch().toString(), ".INSTALL"))
                .contains("post_install() {\n  /usr/lib/libvirt-hooks/package-hooks.sh configure")
                .contains("post_upgrade() {\n  /usr/lib/libvirt-hooks/package-hooks.sh configure");
        assertThat(run("bsdtar", "-xOf", arch().toString(), "usr/share/libalpm/hooks/libvirt-hooks-remove.hook"))
                .contains("Operation = Remove\n", "Target = libvirt-hooks\n", "When = PreTransaction\n",
                        "Exec = /usr/lib/libvirt-hooks/package-hooks.sh remove\n", "AbortOnFail\n");
    }

    @Test
    void lintianFindsNoErrorInTheDeb() throws Exception {
        Result lintian = exec(List.of("lintian", "--fail-on", "error", "--suppress-tags", "jar-not-in-usr-share", deb().toString()));
        assertThat(lintian.output().lines().filter(l -> l.startsWith("E: ")).toList()).as(lintian.output()).isEmpty();
        assertThat(lintian.exitCode()).as("lintian --fail-on error:%n%s", lintian.output()).isZero();
    }

    // --- helpers ---------------------------------------------------------------------------

    private static Path deb() throws IOException {
        return onePackage("libvirt-hooks_", "_all.deb", "dpkg-deb (dpkg)");
    }

    private static Path rpm() throws IOException {
        return onePackage("libvirt-hooks-", ".noarch.rpm", "rpmbuild (apt-get install rpm)");
    }

    private static Path arch() throws IOException {
        return onePackage("libvirt-hooks-", "-any.pkg.tar.zst", "makepkg (apt-get install makepkg libarchive-tools zstd)");
    }

    private static Path onePackage(String prefix, String suffix, String tool) throws IOException {
        List<Path> found;
        try (Stream<Path> files = Files.list(TARGET)) {
            found = files.filter(f -> f.getFileName().toString().startsWith(prefix) && f.getFileName().toString().endsWith(suffix))
                    .sorted().toList();
        }
        if (found.size() != 1) {
            fail((found.isEmpty() ? "no " : "several ") + prefix + "*" + suffix + " in " + TARGET + " " + found
                    + ": 'package' builds it with " + tool + " (.ci/run installs the tools); 'mvn clean' when an old version is left");
        }
        return found.get(0);
    }

    /** Our own entries: every file, and the directories named after us (not /usr or /etc). */
    private static Set<String> ours(List<String> entries) {
        Set<String> kept = new TreeSet<>();
        for (String entry : entries) {
            String[] f = entry.split(" ", 3);
            String path = "/" + f[2].replaceFirst("^\\./", "").replaceFirst("^/", "").replaceFirst("/$", "");
            if (!f[0].startsWith("d") || path.contains("libvirt-hooks")) {
                kept.add(f[0] + " " + f[1] + " " + path);
            }
        }
        return kept;
    }

    private static String fields(String line, int... indexes) {
        String[] f = line.trim().split("\\s+");
        List<String> picked = new ArrayList<>();
        for (int i : indexes) {
            picked.add(f[i]);
        }
        return String.join(" ", picked);
    }

    private record Result(int exitCode, String output) {
    }

    private static String run(String... argv) throws Exception {
        Result result = exec(Arrays.asList(argv));
        if (result.exitCode() != 0) {
            fail(String.join(" ", argv) + " exited " + result.exitCode() + ":\n" + result.output());
        }
        return result.output();
    }

    private static int exitCode(String... argv) throws Exception {
        return exec(Arrays.asList(argv)).exitCode();
    }

    private static Result exec(List<String> argv) throws Exception {
        Path out = Files.createTempFile("packages-it", ".out");
        try {
            Process process;
            try {
                process = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            } catch (IOException e) {
                return fail(argv.get(0) + " is not installed (apt-get install it; .ci/run does): " + e.getMessage());
            }
            if (!process.waitFor(5, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                return fail(String.join(" ", argv) + " did not finish in 5 minutes");
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
