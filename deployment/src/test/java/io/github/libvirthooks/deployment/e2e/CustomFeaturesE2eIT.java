package io.github.libvirthooks.deployment.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.script.ScriptFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The user's own features on this machine's real libvirtd: scripts from the VM's XML and from the
 * VFIO-Tools-like folders, and the README's example Java feature built as its own jar. Installs
 * the distribution the build just made, restarts libvirtd, and uninstalls at the end.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CustomFeaturesE2eIT {
    private static final Path WORK = Path.of("target/e2e-custom").toAbsolutePath();
    private static final Path ETC = Path.of("/etc/libvirt-hooks");
    private static final Path SCRIPTS = ETC.resolve("scripts");
    private static final Path HOOKS_D = ETC.resolve("hooks.d");
    private static final Path FEATURES = Path.of("/usr/lib/libvirt-hooks/features");
    private static final Path TRACE_DIR = Path.of("/run/libvirt-hooks-e2e");
    private static final Path TRACE = TRACE_DIR.resolve("trace");
    private static final Path STATE = Path.of("/run/libvirt-hooks");
    private static final String HOSTILE = "e2e s'q \"$(touch e2e-script-pwned)\"; `touch e2e-script-pwned` $HOME";
    private static final List<String> DOMAINS = List.of("e2e-script-ok", "e2e-script-fail", "e2e-script-hang", "e2e-script-unsafe",
            HOSTILE, "e2e-hello");
    private static long hugepagesBefore;
    private static boolean installed;

    @BeforeAll
    static void installOnRealLibvirtd() throws Exception {
        Libvirt.assumeRootAndKvm("custom feature end-to-end tests");
        Files.createDirectories(WORK);
        Libvirt.up(false);
        cleanDomains();
        String java = ProcessHandle.current().info().command().orElse("java");
        Libvirt.Result install = Libvirt.run(List.of("sh", Libvirt.distribution().resolve("installer.sh").toString(), "-i", "--java", java),
                null, 180);
        assertThat(install.exit()).as(install.err() + install.out()).isZero();
        installed = true;
        Libvirt.up(true);
        hugepagesBefore = Libvirt.nrHugepages();
        Files.createDirectories(TRACE_DIR);
        Files.setPosixFilePermissions(TRACE_DIR, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(SCRIPTS);
        Files.setPosixFilePermissions(SCRIPTS, PosixFilePermissions.fromString("rwxr-xr-x"));
        script(SCRIPTS.resolve("e2e-prepare"), "printf 'prepare %s|%s|%s|%s|%s|%s\\n' \"$1\" \"$2\" \"$3\" \"$LIBVIRT_HOOKS_EVENT\""
                + " \"$LIBVIRT_HOOKS_OPT_TAG\" \"$(grep -c '<name>e2e-script-ok</name>')\" >> " + TRACE);
        script(SCRIPTS.resolve("e2e-undo"), "printf 'undo %s %s %s\\n' \"$1\" \"$2\" \"$3\" >> " + TRACE);
        script(SCRIPTS.resolve("e2e-fail"), "echo 'e2e: the GPU is busy' >&2\nexit 3");
        script(SCRIPTS.resolve("e2e-hang"), "sleep 300 &\necho $! > " + TRACE_DIR.resolve("hang.pid") + "\nsleep 300");
        script(SCRIPTS.resolve("e2e-unsafe"), "echo unsafe ran >> " + TRACE);
        // the README's worked example, installed as the README says
        for (String example : List.of("remember-start", "forget-start")) {
            Files.copy(Path.of("../examples/scripts").resolve(example), SCRIPTS.resolve(example),
                    StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(SCRIPTS.resolve(example), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        script(SCRIPTS.resolve("e2e-show"), "printf '%s' \"$1\" > " + TRACE_DIR.resolve("name") + "\nprintf '%s' \"$#\" > "
                + TRACE_DIR.resolve("argc"));
    }

    @AfterAll
    static void uninstall() throws IOException {
        if (!installed) {
            return;
        }
        cleanDomains();
        Libvirt.deleteTree(HOOKS_D);
        Libvirt.deleteTree(SCRIPTS);
        Libvirt.deleteTree(FEATURES);
        Libvirt.deleteTree(TRACE_DIR);
        // The scripts' logs and state folders: uninstall keeps what it does not know (the integrator may teach it these).
        Libvirt.deleteTree(STATE.resolve("scripts"));
        Libvirt.Result uninstall = Libvirt.run(List.of("libvirt-hooks", "uninstall"), null, 60);
        assertThat(uninstall.exit()).as(uninstall.err()).isZero();
        assertThat(Path.of("/etc/libvirt/hooks/qemu.d/libvirt-hooks")).doesNotExist();
        assertThat(Path.of("/usr/lib/libvirt-hooks")).doesNotExist();
    }

    @Test
    @Order(1)
    void aPrepareScriptRunsWithLibvirtsArgumentsAndItsUndoAndTheReleaseFolderRunAtRelease() throws IOException {
        reset();
        script(HOOKS_D.resolve("e2e-script-ok/release/end/10-release"), "echo \"release folder $LIBVIRT_HOOKS_VM\" >> " + TRACE);
        Libvirt.define(WORK, Libvirt.domain("e2e-script-ok", 64, true, "<hugepages/><script exec='" + SCRIPTS.resolve("e2e-prepare")
                + "' undo='" + SCRIPTS.resolve("e2e-undo") + "' opt-tag='t1'/><script exec='" + SCRIPTS.resolve("remember-start")
                + "' undo='" + SCRIPTS.resolve("forget-start") + "'/>"));
        Path remembered = ScriptFeature.stateFolderOf(STATE, "e2e-script-ok").resolve("started");

        Libvirt.Result start = Libvirt.virsh("start", "e2e-script-ok");
        assertThat(start.ok()).as(start.err()).isTrue();
        assertThat(Files.readString(remembered)).matches("e2e-script-ok [0-9a-f-]{36} started with 65536 KiB\n");
        assertThat(trace()).containsExactly("prepare e2e-script-ok|prepare|begin|prepare begin|t1|1");
        String status = Libvirt.run(List.of("libvirt-hooks", "status", "--json"), null, 60).out();
        assertThat(status).contains("undo prepare begin #1: " + SCRIPTS.resolve("e2e-undo"));

        assertThat(Libvirt.virsh("destroy", "e2e-script-ok").ok()).isTrue();
        assertThat(trace()).containsExactly("prepare e2e-script-ok|prepare|begin|prepare begin|t1|1",
                "undo e2e-script-ok release end", "release folder e2e-script-ok");
        assertThat(remembered).doesNotExist();
        assertThat(Libvirt.nrHugepages()).isEqualTo(hugepagesBefore);
        assertThat(journals()).isEmpty();
        assertThat(Files.readString(STATE.resolve("hooks.log"))).contains("run    script: " + SCRIPTS.resolve("e2e-prepare") + " exit 0");
    }

    @Test
    @Order(2)
    void aFailingAbortScriptFailsVirshStartWithItsMessageAndRollsBackHugepages() throws IOException {
        reset();
        Libvirt.define(WORK, Libvirt.domain("e2e-script-fail", 64, true, "<hugepages/><script exec='" + SCRIPTS.resolve("e2e-prepare")
                + "' undo='" + SCRIPTS.resolve("e2e-undo") + "'/><script exec='" + SCRIPTS.resolve("e2e-fail") + "'/>"));

        Libvirt.Result start = Libvirt.virsh("start", "e2e-script-fail");

        assertThat(start.ok()).isFalse();
        assertThat(start.err()).contains("libvirt-hooks: e2e-script-fail prepare begin: script: " + SCRIPTS.resolve("e2e-fail")
                + " exited with status 3: e2e: the GPU is busy");
        // the script before it ran, and its undo ran in the rollback; the hugepages are back
        assertThat(trace()).hasSize(2).last().isEqualTo("undo e2e-script-fail release end");
        assertThat(Libvirt.nrHugepages()).isEqualTo(hugepagesBefore);
        assertThat(journals()).isEmpty();
        assertThat(Libvirt.virsh("domstate", "e2e-script-fail").out()).contains("shut off");
    }

    @Test
    @Order(3)
    void aHangingScriptIsKilledAtItsTimeoutWithItsChildren() throws Exception {
        reset();
        Libvirt.define(WORK, Libvirt.domain("e2e-script-hang", 64, false, "<script exec='" + SCRIPTS.resolve("e2e-hang")
                + "' timeout='2s'/>"));

        long started = System.nanoTime();
        Libvirt.Result start = Libvirt.virsh("start", "e2e-script-hang");
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;

        assertThat(start.ok()).isFalse();
        assertThat(start.err()).contains("script: " + SCRIPTS.resolve("e2e-hang")
                + " did not finish within 2s and was killed with its process group");
        assertThat(seconds).isLessThan(30);
        long child = Long.parseLong(Files.readString(TRACE_DIR.resolve("hang.pid")).strip());
        assertThat(running(child)).as("the script's background sleep").isFalse();
    }

    @Test
    @Order(4)
    void aScriptOthersCanWriteIsRefusedAndNeverRuns() throws IOException {
        reset();
        Files.setPosixFilePermissions(SCRIPTS.resolve("e2e-unsafe"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Libvirt.define(WORK, Libvirt.domain("e2e-script-unsafe", 64, false, "<script exec='" + SCRIPTS.resolve("e2e-unsafe") + "'/>"));

        Libvirt.Result start = Libvirt.virsh("start", "e2e-script-unsafe");

        assertThat(start.ok()).isFalse();
        assertThat(start.err()).contains("script: " + SCRIPTS.resolve("e2e-unsafe") + " is writable by group or others (rwxrwxrwx)")
                .contains("chmod go-w " + SCRIPTS.resolve("e2e-unsafe"));
        assertThat(trace()).isEmpty();
    }

    @Test
    @Order(5)
    void aHostileVmNameReachesTheScriptsAsOneArgumentAndExecutesNothing() throws IOException {
        reset();
        Files.deleteIfExists(Path.of("/e2e-script-pwned"));
        script(HOOKS_D.resolve(HOSTILE).resolve("prepare/begin/10-folder"), "printf 'folder %s\\n' \"$1\" >> " + TRACE);
        Libvirt.define(WORK, Libvirt.domain(HOSTILE, 64, false, "<script exec='" + SCRIPTS.resolve("e2e-show") + "'/>"));

        Libvirt.Result start = Libvirt.virsh("start", "--", HOSTILE);

        assertThat(start.ok()).as(start.err()).isTrue();
        assertThat(Files.readString(TRACE_DIR.resolve("name"))).isEqualTo(HOSTILE);
        assertThat(Files.readString(TRACE_DIR.resolve("argc"))).isEqualTo("4");
        assertThat(trace()).containsExactly("folder " + HOSTILE);
        assertThat(Libvirt.virsh("destroy", "--", HOSTILE).ok()).isTrue();
        assertThat(Path.of("/e2e-script-pwned")).doesNotExist();
        assertThat(Path.of("e2e-script-pwned")).doesNotExist();
    }

    @Test
    @Order(6)
    void theExampleJavaFeatureBuiltAsItsOwnJarIsLoadedByTheHook() throws IOException {
        Path jar = exampleJar();
        Files.createDirectories(FEATURES);
        Files.setPosixFilePermissions(FEATURES, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.copy(jar, FEATURES.resolve("hello-feature.jar"), StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(FEATURES.resolve("hello-feature.jar"), PosixFilePermissions.fromString("rw-r--r--"));
        Libvirt.define(WORK, Libvirt.domain("e2e-hello", 64, false, "<hello greeting='hi from e2e'/>"));

        Libvirt.Result start = Libvirt.virsh("start", "e2e-hello");
        assertThat(start.ok()).as(start.err()).isTrue();
        String status = Libvirt.run(List.of("libvirt-hooks", "status", "--json"), null, 60).out();
        assertThat(status).contains("\"name\" : \"e2e-hello\"").contains("hi from e2e");
        assertThat(Libvirt.virsh("destroy", "e2e-hello").ok()).isTrue();

        String log = Files.readString(STATE.resolve("hooks.log"));
        assertThat(log).contains("e2e-hello prepare begin: claim  hello: hi from e2e, e2e-hello")
                .contains("e2e-hello release end: undo   hello: goodbye, e2e-hello (greeted with 'hi from e2e')");
        assertThat(journals()).isEmpty();
    }

    /** Compiles examples/hello-feature against the hooks-features jar of this build, as a user would, into its own jar. */
    private static Path exampleJar() throws IOException {
        Path example = Path.of("../examples/hello-feature/src/main");
        Path classes = Files.createDirectories(WORK.resolve("hello-classes"));
        List<String> args = new ArrayList<>(List.of("--release", "17", "-d", classes.toString(), "-cp",
                System.getProperty("java.class.path")));
        try (Stream<Path> files = Files.walk(example.resolve("java"))) {
            files.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac.run(null, null, null, args.toArray(String[]::new))).as("javac of the example").isZero();
        Path jar = WORK.resolve("hello-feature.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (Path base : List.of(classes, example.resolve("resources"))) {
                try (Stream<Path> files = Files.walk(base)) {
                    for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                        out.putNextEntry(new JarEntry(base.relativize(p).toString()));
                        out.write(Files.readAllBytes(p));
                        out.closeEntry();
                    }
                }
            }
        }
        return jar;
    }

    private static void script(Path file, String body) throws IOException {
        for (Path dir = file.getParent(); dir != null && !Files.exists(dir); dir = dir.getParent()) {
            Files.createDirectories(dir);
        }
        Files.createDirectories(file.getParent());
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static void reset() throws IOException {
        Files.deleteIfExists(TRACE);
    }

    private static List<String> trace() throws IOException {
        return Files.exists(TRACE) ? Files.readAllLines(TRACE) : List.of();
    }

    /** Alive and not a zombie (a killed orphan stays a zombie where PID 1 does not reap, as in this container). */
    private static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    private static List<Path> journals() throws IOException {
        if (!Files.exists(STATE)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(STATE)) {
            return files.filter(p -> p.toString().endsWith(".journal")).toList();
        }
    }

    private static void cleanDomains() {
        for (String name : DOMAINS) {
            Libvirt.destroyAndUndefine(name);
        }
    }
}
