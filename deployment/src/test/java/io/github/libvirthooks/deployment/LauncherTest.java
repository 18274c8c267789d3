package io.github.libvirthooks.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.engine.Feature;
import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.engine.HookOperation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's shell logic: which events start a JVM. The JVM is replaced by a script that
 * records its argv and stdin, so that "no JVM ran" is observable.
 */
class LauncherTest {
    private static final Path LAUNCHER = Path.of("src/main/dist/share/qemu-hook");
    private static final String PLAIN = "<domain type='kvm'><name>plain</name><memory unit='MiB'>64</memory></domain>";
    private static final String CONFIGURED = "<domain type='kvm'><name>win10</name><metadata>"
            + "<hooks xmlns=\"urn:libvirt-hooks:1\"><hugepages/></hooks></metadata></domain>";

    @TempDir
    Path tmp;
    Path launcher;
    Path calls;
    Path config;
    Path state;
    Path hookJar;

    @BeforeEach
    void install() throws IOException {
        calls = tmp.resolve("calls");
        config = tmp.resolve("application.properties");
        state = Files.createDirectories(tmp.resolve("state"));
        Path lib = Files.createDirectories(tmp.resolve("lib"));
        hookJar = Files.createDirectories(lib.resolve("app/lib/main")).resolve("io.github.libvirthooks.hooks-features-1.jar");
        Files.writeString(hookJar, "");
        Files.writeString(lib.resolve("hook.classpath"), hookJar.toString());
        Path java = tmp.resolve("java");
        Files.writeString(java, "#!/bin/sh\n{ printf '%s\\n' \"$*\"; cat; } >> '" + calls + "'\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        launcher = tmp.resolve("qemu-hook");
        Files.writeString(launcher, Files.readString(LAUNCHER)
                .replace("@LIBDIR@", lib.toString()).replace("@CONFIG@", config.toString())
                .replace("@STATEDIR@", state.toString()).replace("@JAVA@", java.toString())
                .replace("@JVM_OPTIONS@", "-Xmx64m").replace("@HOOK_CLASSPATH@", hookJar.toString()));
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void anUnconfiguredVmNeverStartsAJvm() throws Exception {
        for (String op : List.of("prepare", "start", "started", "stopped", "release", "reconnect", "attach")) {
            assertThat(run(PLAIN, "plain", op, "begin", "-")).isZero();
        }
        assertThat(calls).doesNotExist();
    }

    @Test
    void aConfiguredVmStartsTheJvmAtPrepareWithLibvirtsArgvAndXml() throws Exception {
        assertThat(run(CONFIGURED, "win10", "prepare", "begin", "-")).isZero();
        String recorded = Files.readString(calls);
        assertThat(recorded).contains("io.github.libvirthooks.features.hook.HookMain qemu win10 prepare begin -")
                .contains("-cp " + hookJar)
                .contains(CONFIGURED);
    }

    @Test
    void eventsNoEnabledFeatureActsOnStartNoJvm() throws Exception {
        for (String op : List.of("start", "started", "stopped", "reconnect")) {
            run(CONFIGURED, "win10", op, "begin", "-");
        }
        assertThat(calls).doesNotExist();
        run(CONFIGURED.replace("<hugepages/>", "<cfscpu/>"), "win10", "started", "begin", "-");
        assertThat(calls).exists();
    }

    @Test
    void releaseRunsJavaOnlyWhenTheVmHasAJournal() throws Exception {
        run(CONFIGURED, "win10", "release", "end", "-");
        assertThat(calls).doesNotExist();
        Files.writeString(state.resolve("vm-win10-0123456789abcdef.journal"), "x");
        run(PLAIN, "plain", "release", "end", "-");
        assertThat(calls).as("another VM's journal").doesNotExist();
        run(CONFIGURED, "win10", "release", "end", "-");
        assertThat(calls).exists();
    }

    @Test
    void namesWithShellCharactersAreDataAndLookAtEveryJournal() throws Exception {
        String name = "a b;$(touch " + tmp.resolve("pwned") + ")'\"";
        Files.writeString(state.resolve("vm-a_b______-0123456789abcdef.journal"), "x");
        run(PLAIN, name, "release", "end", "-");
        assertThat(tmp.resolve("pwned")).doesNotExist();
        assertThat(Files.readString(calls)).contains("qemu " + name + " release end -");
    }

    @Test
    void theConfigFileCanEnableAVmButNotInAComment() throws Exception {
        Files.writeString(config, "# libvirt-hooks.vm.plain.hugepages.enabled=true\n");
        run(PLAIN, "plain", "prepare", "begin", "-");
        assertThat(calls).doesNotExist();
        Files.writeString(config, "libvirt-hooks.vm.\"plain\".hugepages.enabled=true\n");
        run(PLAIN, "plain", "prepare", "begin", "-");
        assertThat(calls).exists();
    }

    @Test
    void perVmKeysWithPropertiesEscapesOrContinuationLinesStartTheJvm() throws Exception {
        for (String properties : List.of("libvirt-hooks.vm.\"win\\ 10\".hugepages.enabled=true\n",
                "libvirt-hooks.vm.b\\u00fcro.hugepages.enabled=true\n",
                "libvirt-hooks.vm.\\\n  win10.hugepages.enabled=true\n")) {
            Files.writeString(config, properties);
            Files.deleteIfExists(calls);
            run(PLAIN, "win 10", "prepare", "begin", "-");
            assertThat(calls).as(properties).exists();
        }
        Files.writeString(config, "libvirt-hooks.vm.other.hugepages.enabled=true\n");
        Files.deleteIfExists(calls);
        run(PLAIN, "plain", "prepare", "begin", "-");
        assertThat(calls).as("a plain key for another VM").doesNotExist();
    }

    @Test
    void theEnvironmentFileConfiguresVmsAndEventsButNotInAComment() throws Exception {
        Path environment = tmp.resolve("environment");
        Files.writeString(environment, "# LIBVIRT_HOOKS_ALL_VMS_HUGEPAGES_ENABLED=true\n");
        run(PLAIN, "plain", "prepare", "begin", "-");
        assertThat(calls).doesNotExist();

        Files.writeString(environment, "LIBVIRT_HOOKS_VM_PLAIN_HUGEPAGES_ENABLED=true\n");
        run(PLAIN, "plain", "prepare", "begin", "-");
        assertThat(calls).as("a per-VM variable").exists();

        Files.delete(calls);
        Files.writeString(environment, "LIBVIRT_HOOKS_ALL_VMS_HUGEPAGES_ENABLED=true\n");
        run(PLAIN, "plain", "started", "begin", "-");
        assertThat(calls).as("hugepages does not act at started").doesNotExist();
        Files.writeString(environment, "LIBVIRT_HOOKS_ALL_VMS_CFSCPU_ENABLED=true\n");
        run(PLAIN, "plain", "started", "begin", "-");
        assertThat(calls).as("cfscpu does").exists();

        Files.delete(calls);
        Files.writeString(environment, "LIBVIRT_HOOKS_STATE_DIR=/var/lib/elsewhere\n");
        run(PLAIN, "plain", "release", "end", "-");
        assertThat(calls).as("journals elsewhere").exists();
    }

    @Test
    void aStateDirectoryConfiguredElsewhereMakesReleaseAskJava() throws Exception {
        Files.writeString(config, "libvirt-hooks.state-dir=/var/lib/elsewhere\n");
        run(PLAIN, "plain", "release", "end", "-");
        assertThat(calls).as("the journal may be in /var/lib/elsewhere, which the launcher was not installed with").exists();
    }

    @Test
    void theLaunchersStartedListMatchesTheFeaturesActingAtStarted() throws IOException {
        String line = Files.readAllLines(LAUNCHER).stream().filter(l -> l.startsWith("STARTED_FEATURES=")).findFirst().orElseThrow();
        List<String> listed = Arrays.asList(line.substring(line.indexOf('\'') + 1, line.lastIndexOf('\'')).split(" "));
        List<String> actual = new ArrayList<>();
        for (Feature f : FeatureCatalog.builtInOnly().all()) {
            if (f.actsOn().contains(HookOperation.STARTED)) {
                actual.add(f.name());
            }
            if (f.name().equals("script")) {
                continue; // at other events the launcher looks for script folders and configured events itself (tests below)
            }
            if (f.name().equals("service")) {
                assertThat(f.actsOn()).isSubsetOf(HookOperation.PREPARE, HookOperation.START, HookOperation.STARTED);
                continue; // the launcher starts Java at start when the VM mentions service
            }
            assertThat(f.actsOn()).as(f.name() + " acts only where the launcher starts Java")
                    .isSubsetOf(HookOperation.PREPARE, HookOperation.STARTED, HookOperation.RELEASE);
        }
        assertThat(listed).containsAll(actual);
    }

    @Test
    void aScriptFolderStartsTheJvmForItsEventOnly() throws Exception {
        Files.createDirectories(tmp.resolve("hooks.d/plain/stopped/end"));

        run(PLAIN, "plain", "stopped", "end", "-");
        assertThat(Files.readString(calls)).contains("HookMain qemu plain stopped end -").contains(PLAIN);
        Files.delete(calls);

        for (String op : List.of("start", "started", "reconnect", "attach", "migrate", "restore")) {
            run(PLAIN, "plain", op, "begin", "-");
        }
        run(PLAIN, "other", "stopped", "end", "-");
        assertThat(calls).as("other events and other VMs").doesNotExist();
    }

    @Test
    void aVmWithAScriptFolderStartsTheJvmAtPrepareToCheckAndJournalItsScripts() throws Exception {
        Files.createDirectories(tmp.resolve("hooks.d/plain/release/end"));

        run(PLAIN, "plain", "prepare", "begin", "-");

        assertThat(Files.readString(calls)).contains("HookMain qemu plain prepare begin -");
    }

    @Test
    void theAllVmsFolderCountsForEveryVm() throws Exception {
        Files.createDirectories(tmp.resolve("all-vms.d/started/begin"));

        run(PLAIN, "plain", "started", "begin", "-");
        run(PLAIN, "another", "started", "begin", "-");

        assertThat(Files.readAllLines(calls)).filteredOn(l -> l.contains("HookMain")).hasSize(2);
    }

    @Test
    void aScriptConfiguredForAnEventStartsTheJvmThere() throws Exception {
        String xml = CONFIGURED.replace("<hugepages/>", "<script exec='/etc/libvirt-hooks/scripts/x' event='stopped end'/>");

        run(xml, "win10", "reconnect", "begin", "-");
        assertThat(calls).doesNotExist();
        run(xml, "win10", "stopped", "end", "-");
        assertThat(Files.readString(calls)).contains("HookMain qemu win10 stopped end -");
    }

    @Test
    void aServiceMayActAtStart() throws Exception {
        run(CONFIGURED.replace("<hugepages/>", "<service unit='scream' event='start'/>"), "win10", "start", "begin", "-");
        assertThat(Files.readString(calls)).contains("HookMain qemu win10 start begin -");
    }

    @Test
    void featureJarsMakeAConfiguredVmStartTheJvmAtStartedAndTheirFolderIsPassed() throws Exception {
        run(CONFIGURED, "win10", "started", "begin", "-");
        assertThat(calls).doesNotExist();
        Path features = Files.createDirectories(tmp.resolve("lib/features"));
        Files.writeString(features.resolve("hello-feature.jar"), "");

        run(CONFIGURED, "win10", "started", "begin", "-");

        assertThat(Files.readString(calls)).contains("-Dlibvirt-hooks.features-dir=" + features);
    }

    @Test
    void aHostileNameIsOneFolderNameAndNothingIsEvaluated() throws Exception {
        // libvirt names hold no '/': the payload would touch a file in the launcher's working folder
        String marker = "pwned-" + ProcessHandle.current().pid();
        String name = "a b;$(touch " + marker + ")'\"`touch " + marker + "` $HOME *";
        Files.createDirectories(tmp.resolve("hooks.d").resolve(name).resolve("stopped/end"));

        run(PLAIN, name, "stopped", "end", "-");

        assertThat(Path.of(marker)).doesNotExist();
        assertThat(Files.readString(calls)).contains("qemu " + name + " stopped end -");
    }

    @Test
    void theNativeExecutableRunsInsteadOfTheJvmAndItsStatusIsTheHooks() throws Exception {
        Path nativeCalls = tmp.resolve("native-calls");
        Path bin = Files.createDirectories(tmp.resolve("lib/bin"));
        Path exe = bin.resolve("libvirt-hooks-native");
        // Refuses the start, as the hook does when a feature fails at prepare.
        Files.writeString(exe, "#!/bin/sh\n{ printf '%s\\n' \"$*\"; cat; } >> '" + nativeCalls + "'\nexit 1\n");
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));

        assertThat(run(CONFIGURED, "win10", "prepare", "begin", "-")).isEqualTo(1);

        assertThat(Files.readString(nativeCalls)).contains("hook qemu win10 prepare begin -").contains(CONFIGURED);
        assertThat(calls).as("the JVM must not run after the native executable").doesNotExist();
    }

    @Test
    void theJvmUsesTheAotCacheWhenInstallBuiltOneElseTheClassDataArchive() throws Exception {
        Path lib = tmp.resolve("lib");
        assertThat(run(CONFIGURED, "win10", "prepare", "begin", "-")).isZero();
        assertThat(Files.readString(calls)).doesNotContain("-XX:AOTCache").doesNotContain("-XX:SharedArchiveFile");

        Files.writeString(lib.resolve("hook.jsa"), "archive");
        Files.delete(calls);
        assertThat(run(CONFIGURED, "win10", "prepare", "begin", "-")).isZero();
        assertThat(Files.readString(calls)).contains("-XX:SharedArchiveFile=" + lib.resolve("hook.jsa") + " -Xshare:auto")
                .doesNotContain("-XX:AOTCache");

        Files.writeString(lib.resolve("hook.aot"), "cache");
        Files.delete(calls);
        assertThat(run(CONFIGURED, "win10", "prepare", "begin", "-")).isZero();
        assertThat(Files.readString(calls)).contains("-XX:AOTCache=" + lib.resolve("hook.aot") + " -Xlog:disable -Xmx64m")
                .doesNotContain("-XX:SharedArchiveFile");
    }

    @Test
    void betweenAPackagesUnpackAndItsPostinstTheHookRunsFromTheJarsThereNowWithoutTheOldCache() throws Exception {
        Path lib = tmp.resolve("lib");
        Files.writeString(lib.resolve("hook.jsa"), "archive of the old jars");
        Files.delete(hookJar);
        Files.writeString(lib.resolve("app/lib/main/io.github.libvirthooks.hooks-features-2.jar"), "");
        Files.writeString(state.resolve("vm-win10-0123456789abcdef.journal"), "x");

        assertThat(run(CONFIGURED, "win10", "release", "end", "-")).isZero();

        assertThat(Files.readString(calls)).contains("-cp " + lib + "/app/lib/main/*:" + lib + "/app/lib/boot/*")
                .doesNotContain("-XX:SharedArchiveFile").contains("qemu win10 release end -");
    }

    @Test
    void theJvmsExitStatusIsTheHooks() throws Exception {
        Path java = tmp.resolve("java");
        Files.writeString(java, "#!/bin/sh\ncat > /dev/null\nexit 1\n");
        assertThat(run(CONFIGURED, "win10", "prepare", "begin", "-")).isEqualTo(1);
    }

    @Test
    void aNonAsciiNameReachesTheRealJvmByteForByteUnderLibvirtsCLocale() throws Exception {
        // A stand-in HookMain on the real JVM, started by the launcher exactly as libvirtd starts it: clean environment, LC_ALL=C.
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        Path source = Files.createDirectories(classes.resolve("io/github/libvirthooks/features/hook")).resolve("HookMain.java");
        Path seen = tmp.resolve("seen");
        Files.writeString(source, "package io.github.libvirthooks.features.hook;\n"
                + "public class HookMain { public static void main(String[] a) throws Exception {"
                + " java.nio.file.Files.writeString(java.nio.file.Path.of(\"" + seen + "\"), a[1], java.nio.charset.StandardCharsets.UTF_8);"
                + " } }\n");
        javax.tools.JavaCompiler javac = javax.tools.ToolProvider.getSystemJavaCompiler();
        assertThat(javac.run(null, null, null, "-d", classes.toString(), source.toString())).isZero();
        Path javaHome = Path.of(System.getProperty("java.home"));
        Files.writeString(launcher, Files.readString(LAUNCHER)
                .replace("@LIBDIR@", tmp.resolve("lib").toString()).replace("@CONFIG@", config.toString())
                .replace("@STATEDIR@", state.toString()).replace("@JAVA@", javaHome.resolve("bin/java").toString())
                .replace("@JVM_OPTIONS@", "-Xshare:auto").replace("@HOOK_CLASSPATH@", classes.toString()));
        String name = "b\u00fcro-\u00e9t\u00e9-\u6f22";

        ProcessBuilder p = new ProcessBuilder(launcher.toString(), name, "prepare", "begin", "-").redirectErrorStream(true);
        p.environment().clear();
        p.environment().putAll(java.util.Map.of("PATH", "/usr/bin:/bin", "LC_ALL", "C", "HOME", "/"));
        Process started = p.start();
        try (var stdin = started.getOutputStream()) {
            stdin.write(CONFIGURED.replace("win10", name).getBytes(StandardCharsets.UTF_8));
        }
        assertThat(started.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(started.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEmpty();
        assertThat(Files.readString(seen, StandardCharsets.UTF_8)).isEqualTo(name);
    }

    private int run(String xml, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(launcher.toString()));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        try (var stdin = p.getOutputStream()) {
            stdin.write(xml.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // The launcher exits without reading stdin when nothing acts; libvirt ignores that EPIPE too.
        }
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }
}
