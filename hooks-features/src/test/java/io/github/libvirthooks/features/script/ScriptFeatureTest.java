package io.github.libvirthooks.features.script;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.libvirthooks.features.engine.HookFailure;
import io.github.libvirthooks.features.engine.HookOutcome;
import io.github.libvirthooks.features.state.JournalEntry;
import io.github.libvirthooks.features.state.VmJournal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScriptFeatureTest {
    @TempDir
    Path tmp;
    ScriptHost host;

    @BeforeEach
    void sandbox() throws IOException {
        host = new ScriptHost(tmp);
    }

    @Test
    void aScriptGetsLibvirtsArgumentsTheDomainXmlAndTheDocumentedEnvironment() throws IOException {
        Path out = host.out;
        Path script = host.script("show.sh", "for a in \"$@\"; do printf '%s\\n' \"$a\"; done > " + out.resolve("argv") + "\n"
                + "cat > " + out.resolve("stdin") + "\n"
                + "env | grep '^LIBVIRT_HOOKS_' | sort > " + out.resolve("env") + "\n"
                + "echo hello from the script");
        String xml = ScriptHost.xml("win10", "<script exec='" + script + "' opt-gpu='0000:01:00.0'/>");

        host.run(xml, "prepare", "begin");

        assertThat(Files.readAllLines(out.resolve("argv"))).containsExactly("win10", "prepare", "begin", "-");
        assertThat(Files.readString(out.resolve("stdin"))).isEqualTo(xml);
        Path folder = ScriptFeature.stateFolderOf(host.state.path(), "win10");
        assertThat(Files.readAllLines(out.resolve("env"))).containsExactly(
                "LIBVIRT_HOOKS_EVENT=prepare begin",
                "LIBVIRT_HOOKS_OPERATION=prepare",
                "LIBVIRT_HOOKS_OPT_GPU=0000:01:00.0",
                "LIBVIRT_HOOKS_SCRIPT=" + script,
                "LIBVIRT_HOOKS_STATE_DIR=" + folder,
                "LIBVIRT_HOOKS_SUB_OPERATION=begin",
                "LIBVIRT_HOOKS_TIMEOUT=30",
                "LIBVIRT_HOOKS_UUID=4dea22b3-1d52-d8f3-2516-782e98ab3fa0",
                "LIBVIRT_HOOKS_VM=win10");
        assertThat(folder).isDirectory();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder))).isEqualTo("rwx------");
        Path log = ScriptFeature.logOf(host.state.path(), "win10");
        assertThat(Files.readString(log)).contains("hello from the script").contains("--- exit 0 after");
        assertThat(host.lines).anyMatch(l -> l.startsWith("run    script: " + script + " exit 0 after") && l.endsWith("output in " + log));
    }

    @Test
    void theReadmesScriptExampleRecordsTheStartAndItsUndoForgetsIt() throws IOException {
        // examples/scripts, copied as a user installs them (root's, mode 755)
        Path remember = host.script("remember-start", Files.readString(Path.of("../examples/scripts/remember-start")));
        Path forget = host.script("forget-start", Files.readString(Path.of("../examples/scripts/forget-start")));
        String xml = "<domain type='kvm'><name>win10</name><uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>"
                + "<memory unit='KiB'>8388608</memory><metadata><hooks xmlns='urn:libvirt-hooks:1'><script exec='" + remember
                + "' undo='" + forget + "'/></hooks></metadata></domain>";
        Path started = ScriptFeature.stateFolderOf(host.state.path(), "win10").resolve("started");

        host.run(xml, "prepare", "begin");
        assertThat(Files.readString(started)).isEqualTo("win10 4dea22b3-1d52-d8f3-2516-782e98ab3fa0 started with 8388608 KiB\n");
        host.run(xml, "release", "end");

        assertThat(started).doesNotExist();
        assertThat(Files.readString(ScriptFeature.logOf(host.state.path(), "win10"))).contains("remembered win10").contains("forgot win10");
    }

    @Test
    void everyReleaseReasonOfLibvirtReachesTheUndoAndReleaseScriptsAsArgumentAndVariable() throws IOException {
        Path bind = host.script("bind.sh", "true");
        Path unbind = host.script("unbind.sh", "echo undo \"$*\" \"$LIBVIRT_HOOKS_REASON\" >> " + host.trace());
        host.script(host.etc.resolve("hooks.d/win10/release/end/10-release"),
                "echo release \"$4\" \"${LIBVIRT_HOOKS_REASON-unset}\" >> " + host.trace());
        String xml = ScriptHost.xml("win10", "<script exec='" + bind + "' undo='" + unbind + "'/>");
        List<String> expected = new java.util.ArrayList<>();
        // libvirt's virDomainShutoffReason words, as it passes them since 10.5; '-' is what older versions pass.
        for (String reason : List.of("shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from-snapshot", "daemon",
                "unknown")) {
            host.run(xml, "prepare", "begin");
            host.run(xml, "release", "end", reason);
            // Newest first: the undo was journaled after the release scripts.
            expected.add("undo win10 release end " + reason + " " + reason);
            expected.add("release " + reason + " " + reason);
            assertThat(host.state.fileFor("win10")).as(reason).doesNotExist();
        }
        host.run(xml, "prepare", "begin");
        host.run(xml, "release", "end", "-");
        expected.add("undo win10 release end - ");
        expected.add("release - unset");
        assertThat(host.traced()).containsExactlyElementsOf(expected);
    }

    @Test
    void anUndoRunsAtReleaseWithReleaseArgumentsOnlyBecauseItsScriptSucceeded() throws IOException {
        Path bind = host.script("bind.sh", "echo bind \"$LIBVIRT_HOOKS_EVENT\" >> " + host.trace());
        Path unbind = host.script("unbind.sh", "echo unbind \"$*\" \"$LIBVIRT_HOOKS_EVENT\" \"$LIBVIRT_HOOKS_UNDO_OF\" >> " + host.trace());
        String xml = ScriptHost.xml("win10", "<marker/><script exec='" + bind + "' undo='" + unbind + "' event='prepare begin'/>");

        host.run(xml, "prepare", "begin");
        assertThat(host.state.load("win10", "").entries()).extracting(JournalEntry::key)
                .containsExactly("/sys/marker/value", "undo prepare begin #1: " + unbind);
        host.run(xml, "started", "begin");
        host.run(xml, "stopped", "end");
        host.run(xml, "release", "end");

        assertThat(host.traced()).containsExactly("bind prepare begin", "unbind win10 release end - release end " + bind);
        assertThat(host.state.fileFor("win10")).doesNotExist();
        assertThat(host.marker()).isEqualTo("host");
    }

    @Test
    void aFailingAbortScriptAbortsTheStartAndRollsBackWhatRanBeforeItNewestFirst() throws IOException {
        Path ok = host.script("ok.sh", "echo ok >> " + host.trace());
        Path undo = host.script("undo-ok.sh", "echo \"undo sees marker=$(cat " + host.root.resolve("sys/marker/value")
                + ") rollback=$LIBVIRT_HOOKS_ROLLBACK\" >> " + host.trace());
        Path fail = host.script("fail.sh", "echo checking the GPU\necho 'GPU 0000:01:00.0 is busy' >&2\nexit 3");
        Path never = host.script("never.sh", "echo never >> " + host.trace());
        String xml = ScriptHost.xml("win10", "<marker/><script exec='" + ok + "' undo='" + undo + "'/><script exec='" + fail + "'/>"
                + "<script exec='" + never + "'/>");

        assertThatThrownBy(() -> host.run(xml, "prepare", "begin")).isInstanceOf(HookFailure.class)
                .hasMessage("script: " + fail + " exited with status 3: GPU 0000:01:00.0 is busy (output in "
                        + ScriptFeature.logOf(host.state.path(), "win10") + ")")
                .matches(e -> ((HookFailure) e).abortsVm());

        // the undo ran while the marker feature's change was still there: newest first
        assertThat(host.traced()).containsExactly("ok", "undo sees marker=vm rollback=prepare begin");
        assertThat(host.marker()).isEqualTo("host");
        assertThat(host.state.fileFor("win10")).doesNotExist();
    }

    @Test
    void aWarnScriptOnlyWarnsAndTheNextOneRuns() throws IOException {
        Path fail = host.script("fail.sh", "echo nope >&2; exit 1");
        Path next = host.script("next.sh", "echo next >> " + host.trace());
        String xml = ScriptHost.xml("win10", "<script exec='" + fail + "' failure='warn'/><script exec='" + next + "'/>");

        host.run(xml, "prepare", "begin");

        assertThat(host.traced()).containsExactly("next");
        assertThat(host.lines).anyMatch(l -> l.startsWith("warn   script: " + fail + " exited with status 1: nope"));
    }

    @Test
    void whereLibvirtCannotAbortAFailureOnlyWarns() throws IOException {
        Path fail = host.script("fail.sh", "exit 1");
        String xml = ScriptHost.xml("win10", "<script exec='" + fail + "' event='started'/>");

        HookOutcome outcome = host.run(xml, "started", "begin");

        assertThat(outcome.applied()).contains("script");
        assertThat(host.lines).anyMatch(l -> l.startsWith("warn   script: " + fail + " exited with status 1"));
    }

    @Test
    void aHangingScriptIsKilledWithItsWholeProcessGroupAtItsTimeout() throws Exception {
        Path pid = host.out.resolve("child.pid");
        // The background child keeps stdout open and would survive a kill of the script alone.
        Path hang = host.script("hang.sh", "sleep 60 &\necho $! > " + pid + "\nsleep 60");
        String xml = ScriptHost.xml("win10", "<script exec='" + hang + "' timeout='700ms'/>");

        long started = System.nanoTime();
        assertThatThrownBy(() -> host.run(xml, "prepare", "begin")).isInstanceOf(HookFailure.class)
                .hasMessageStartingWith("script: " + hang + " did not finish within 700ms and was killed with its process group");
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(5000);

        long child = Long.parseLong(Files.readString(pid).strip());
        for (int i = 0; i < 50 && running(child); i++) {
            Thread.sleep(20);
        }
        assertThat(running(child)).as("the script's background child").isFalse();
    }

    /** Alive and not a zombie: a killed orphan stays a zombie where PID 1 does not reap (as in this container). */
    private static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void aScriptWritableByOthersOrInAWritableFolderIsRefusedBeforeAnythingRuns() throws IOException {
        Path ok = host.script("ok.sh", "echo ok >> " + host.trace());
        Path writable = host.script("writable.sh", "echo ran >> " + host.trace());
        Files.setPosixFilePermissions(writable, PosixFilePermissions.fromString("rwxrwxr-x"));
        String xml = ScriptHost.xml("win10", "<marker/><script exec='" + ok + "'/><script exec='" + writable + "' event='started'/>");

        assertThatThrownBy(() -> host.run(xml, "prepare", "begin")).isInstanceOf(HookFailure.class)
                .hasMessage("script: " + writable + " is writable by group or others (rwxrwxr-x): a hook runs as root, so anyone who"
                        + " can write there could run commands as root; chmod go-w " + writable);
        assertThat(host.traced()).as("checked at prepare, before any script ran").isEmpty();
        assertThat(host.marker()).isEqualTo("host");

        Files.setPosixFilePermissions(writable, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path open = Files.createDirectories(host.etc.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path inOpen = host.script(open.resolve("in-open.sh"), "echo ran >> " + host.trace());
        assertThatThrownBy(() -> host.run(ScriptHost.xml("win10", "<script exec='" + inOpen + "'/>"), "prepare", "begin"))
                .hasMessageContaining("script: " + inOpen + " lies in " + open + ", which is writable by group or others (rwxrwxrwx)")
                .hasMessageEndingWith("chmod go-w " + open);

        assertThatThrownBy(() -> host.run(ScriptHost.xml("win10", "<script exec='" + host.scripts.resolve("missing.sh") + "'/>"),
                "prepare", "begin")).hasMessage("script: " + host.scripts.resolve("missing.sh") + " does not exist");
        assertThat(host.traced()).isEmpty();
    }

    @Test
    void aScriptInASharedStickyFolderLikeTmpIsToldToMoveItNotToChmodTheFolder() throws IOException {
        assumeTrue(Files.getAttribute(tmp, "unix:uid").equals(0), "the checks up to / need root's files");
        assumeTrue(((Integer) Files.getAttribute(tmp.getParent(), "unix:mode") & 01002) == 01002, "a sticky, world-writable temp folder");
        Path inTmp = host.script("x.sh", "true");

        assertThatThrownBy(() -> SafePath.rootOnly().check(inTmp, "script", true))
                .hasMessageContaining("lies in " + tmp.getParent() + ", which is writable by group or others")
                .hasMessageEndingWith("; move it out of " + tmp.getParent());
    }

    @Test
    void aScriptNotOwnedByRootIsRefused() throws IOException {
        assumeTrue(Files.getAttribute(tmp, "unix:uid").equals(0), "needs root to give a file away");
        Path theirs = host.script("theirs.sh", "echo ran >> " + host.trace());
        Files.setAttribute(theirs, "unix:uid", 65534);

        assertThatThrownBy(() -> host.run(ScriptHost.xml("win10", "<script exec='" + theirs + "'/>"), "prepare", "begin"))
                .hasMessageStartingWith("script: " + theirs + " is owned by uid 65534, not root: a hook runs as root")
                .hasMessageEndingWith("chown root:root " + theirs + " (or move it)");
        assertThat(host.traced()).isEmpty();
    }

    @Test
    void aSymbolicLinkIsFollowedAndItsTargetCheckedToo() throws IOException {
        Path open = Files.createDirectories(host.tmp.resolve("open"));
        Path target = host.script(open.resolve("target.sh"), "echo ran >> " + host.trace());
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path link = Files.createSymbolicLink(host.scripts.resolve("link.sh"), target);

        assertThatThrownBy(() -> host.run(ScriptHost.xml("win10", "<script exec='" + link + "'/>"), "prepare", "begin"))
                .hasMessageContaining("script: " + link + " lies in " + open + ", which is writable by group or others");
    }

    @Test
    void aHostileVmNameReachesTheScriptAsOneArgumentAndRunsNothing() throws IOException {
        // VM names hold no '/': the payload touches a file relative to the script's working folder, /
        String marker = "pwned-" + ProcessHandle.current().pid();
        String name = "x \"$(touch " + marker + ")\"; `touch " + marker + "` 'q' $HOME";
        Path show = host.script("show.sh", "printf '%s\\n' \"$1\" > " + host.out.resolve("name") + "\nprintf '%s' \"$#\" > "
                + host.out.resolve("argc"));
        // the folder convention too: the name is one directory, nothing is evaluated
        host.script(host.etc.resolve("hooks.d").resolve(name).resolve("prepare/begin/10-folder"), "echo folder \"$LIBVIRT_HOOKS_VM\" >> "
                + host.trace());

        host.run(ScriptHost.xml(name, "<script exec='" + show + "'/>"), "prepare", "begin");

        assertThat(Files.readString(host.out.resolve("name")).strip()).isEqualTo(name);
        assertThat(Files.readString(host.out.resolve("argc"))).isEqualTo("4");
        assertThat(host.traced()).containsExactly("folder " + name);
        assertThat(Path.of("/" + marker)).doesNotExist();
        assertThat(Path.of(marker)).doesNotExist();
    }

    @Test
    void folderScriptsRunAllVmsFirstThenTheVmsByNameAndReleaseScriptsAtRelease() throws IOException {
        Path etc = host.etc;
        host.script(etc.resolve("all-vms.d/prepare/begin/50-all"), "echo all-prepare >> " + host.trace());
        host.script(etc.resolve("hooks.d/win10/prepare/begin/20-second"), "echo vm-prepare-20 >> " + host.trace());
        host.script(etc.resolve("hooks.d/win10/prepare/begin/10-first"), "echo vm-prepare-10 >> " + host.trace());
        Path readme = etc.resolve("hooks.d/win10/prepare/begin/README");
        Files.writeString(readme, "not a script");
        host.script(etc.resolve("hooks.d/win10/started/begin/10-started"), "echo vm-started >> " + host.trace());
        host.script(etc.resolve("hooks.d/win10/stopped/end/10-stopped"), "echo vm-stopped >> " + host.trace());
        host.script(etc.resolve("hooks.d/win10/release/end/10-release"), "echo vm-release-10 \"$*\" >> " + host.trace());
        host.script(etc.resolve("hooks.d/win10/release/end/20-release"), "echo vm-release-20 >> " + host.trace());
        host.script(etc.resolve("hooks.d/other/prepare/begin/10-other"), "echo other >> " + host.trace());
        String xml = ScriptHost.xml("win10", "");

        host.run(xml, "prepare", "begin");
        host.run(xml, "start", "begin");
        host.run(xml, "started", "begin");
        host.run(xml, "stopped", "end");
        host.run(xml, "release", "end");

        assertThat(host.traced()).containsExactly("all-prepare", "vm-prepare-10", "vm-prepare-20", "vm-started", "vm-stopped",
                "vm-release-10 win10 release end -", "vm-release-20");
        assertThat(host.lines).anyMatch(l -> l.equals("skip   script: " + readme + " (not executable: chmod 755 it to run it)"));
        assertThat(host.state.fileFor("win10")).doesNotExist();
    }

    @Test
    void releaseScriptsAlsoRunWhenTheStartIsRolledBackAndOnlyOnce() throws IOException {
        host.script(host.etc.resolve("hooks.d/win10/release/end/10-release"), "echo release \"$LIBVIRT_HOOKS_ROLLBACK\" >> "
                + host.trace());
        host.script(host.etc.resolve("hooks.d/win10/prepare/begin/10-fail"), "exit 1");
        String xml = ScriptHost.xml("win10", "");

        assertThatThrownBy(() -> host.run(xml, "prepare", "begin")).isInstanceOf(HookFailure.class);
        // libvirt still sends stopped and release after a failed prepare
        host.run(xml, "stopped", "end");
        host.run(xml, "release", "end");

        assertThat(host.traced()).containsExactly("release prepare begin");
    }

    @Test
    void restoreRunsPendingUndosAndAFailedUndoStaysForTheNextRestore() throws IOException {
        Path flag = host.out.resolve("undo-may-succeed");
        Path bind = host.script("bind.sh", "true");
        Path unbind = host.script("unbind.sh", "[ -e " + flag + " ] || { echo 'device still in use' >&2; exit 2; }\necho unbound >> "
                + host.trace());
        String xml = ScriptHost.xml("win10", "<script exec='" + bind + "' undo='" + unbind + "'/>");
        host.run(xml, "prepare", "begin");

        HookOutcome release = host.run(xml, "release", "end");
        assertThat(release.warnings()).singleElement().asString()
                .contains("script: " + unbind + " exited with status 2: device still in use");
        assertThat(host.state.load("win10", "").entries()).hasSize(1);

        Files.writeString(flag, "");
        HookOutcome restore = host.engine().restore("win10", host.lines::add);

        assertThat(restore.warnings()).isEmpty();
        assertThat(host.traced()).containsExactly("unbound");
        assertThat(host.state.fileFor("win10")).doesNotExist();
    }

    @Test
    void aJournalNamingAnotherStateDirIsRefusedAndKeptNotWrittenThere() throws IOException {
        Path unbind = host.script("unbind.sh", "echo unbound >> " + host.trace());
        String xml = ScriptHost.xml("win10", "<script exec='" + host.script("bind.sh", "true") + "' undo='" + unbind + "'/>");
        host.run(xml, "prepare", "begin");
        Path elsewhere = Files.createDirectories(host.tmp.resolve("etc-like"));
        VmJournal journal = host.state.load("win10", "");
        JournalEntry claim = journal.entries().get(0);
        Map<String, String> planted = new java.util.LinkedHashMap<>(claim.values());
        planted.put("state-dir", elsewhere.toString());
        host.state.save(journal.replace(0, JournalEntry.claim(claim.feature(), claim.key(), planted), java.time.Instant.EPOCH));

        HookOutcome release = host.run(xml, "release", "end");

        assertThat(release.warnings()).singleElement().asString().contains("names state-dir " + elsewhere)
                .contains("not written by libvirt-hooks");
        assertThat(host.traced()).as("the undo did not run").isEmpty();
        assertThat(elsewhere).as("no log or state folder made there").isEmptyDirectory();
        assertThat(host.state.load("win10", "").entries()).as("kept for a look").hasSize(1);
    }

    @Test
    void aSystemProgramIsNoScriptNotAtPrepareNorFromAJournal() throws IOException {
        Path system = Path.of("/usr/bin/true");
        assumeTrue(Files.isExecutable(system));
        Path link = host.tmp.resolve("looks-like-a-script");
        Files.createSymbolicLink(link, system);
        for (Path exec : List.of(system, link)) {
            assertThatThrownBy(() -> host.run(ScriptHost.xml("win10", "<script exec='" + exec + "'/>"), "prepare", "begin"))
                    .isInstanceOf(HookFailure.class).hasMessageContaining("is one of the system's own programs, not a script");
        }

        Path unbind = host.script("unbind.sh", "echo unbound >> " + host.trace());
        String xml = ScriptHost.xml("win10", "<script exec='" + host.script("bind.sh", "true") + "' undo='" + unbind + "'/>");
        host.run(xml, "prepare", "begin");
        VmJournal journal = host.state.load("win10", "");
        JournalEntry claim = journal.entries().get(0);
        Map<String, String> planted = new java.util.LinkedHashMap<>(claim.values());
        planted.put("run", system.toString());
        host.state.save(journal.replace(0, JournalEntry.claim(claim.feature(), claim.key(), planted), java.time.Instant.EPOCH));

        HookOutcome release = host.run(xml, "release", "end");

        assertThat(release.warnings()).singleElement().asString().contains("/usr/bin/true is one of the system's own programs");
        assertThat(host.state.load("win10", "").entries()).as("kept for a look").hasSize(1);
    }

    @Test
    void planSaysWhatWouldRunAndWhatWouldBeRefused() throws IOException {
        Path ok = host.script("ok.sh", "echo ran >> " + host.trace());
        Path bad = host.script("bad.sh", "true");
        Files.setPosixFilePermissions(bad, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path release = host.script(host.etc.resolve("hooks.d/win10/release/end/10-release"), "true");
        var options = new java.util.LinkedHashMap<String, String>();
        options.put("1.exec", ok.toString());
        options.put(ScriptOptions.SCRIPTS_DIR, host.etc.toString());
        options.put(ScriptOptions.STATE_DIR, host.state.path().toString());
        var domain = new io.github.libvirthooks.features.domain.DomainXmlParser().parse(ScriptHost.xml("win10", "").getBytes());
        var prepare = io.github.libvirthooks.features.engine.HookRequest.of(
                io.github.libvirthooks.features.engine.HookInvocation.parse(List.of("qemu", "win10", "prepare", "begin", "-")), domain);

        var plan = host.engine().plan(prepare, java.util.Map.of("script", options)).get(0);

        assertThat(plan.refused()).isEmpty();
        assertThat(plan.scripts()).containsExactly(List.of(ok.toString(), "win10", "prepare", "begin", "-"));
        assertThat(plan.claims()).singleElement()
                .satisfies(c -> assertThat(ScriptClaim.CODEC.decode(c.key(), c.values()).run()).isEqualTo(release));

        options.put("1.undo", bad.toString());
        var refused = host.engine().plan(prepare, java.util.Map.of("script", options)).get(0);

        assertThat(refused.refused()).get().asString().startsWith("script: " + bad + " is writable by group or others");
        assertThat(refused.scripts()).isEmpty();
        assertThat(host.traced()).isEmpty();
        assertThat(host.state.fileFor("win10")).doesNotExist();
        assertThat(ScriptFeature.stateFolderOf(host.state.path(), "win10")).doesNotExist();
    }

    @Test
    void badOptionsAreReportedBeforeAnythingRuns() {
        assertThatThrownBy(() -> ScriptOptions.parse(java.util.Map.of("1.exec", "/bin/true", "1.evnt", "prepare")))
                .hasMessageStartingWith("unknown option 'evnt' for script; it takes: exec, event, undo, timeout, failure");
        assertThatThrownBy(() -> ScriptOptions.parse(java.util.Map.of("1.exec", "bin/true")))
                .hasMessageStartingWith("invalid script <script> #1 exec 'bin/true': an absolute path");
        assertThatThrownBy(() -> ScriptOptions.parse(java.util.Map.of("1.exec", "/bin/true", "1.timeout", "1h")))
                .hasMessageStartingWith("invalid script <script> #1 timeout '1h': a duration from 100ms to 10m");
        assertThatThrownBy(() -> ScriptOptions.parse(java.util.Map.of("1.exec", "/bin/true", "1.event", "prepared")))
                .hasMessageStartingWith("invalid script event 'prepared': unknown hook operation 'prepared'");
        assertThatThrownBy(() -> ScriptOptions.parse(java.util.Map.of("1.exec", "/bin/true", "1.event", "release", "1.undo", "/bin/x")))
                .hasMessageContaining("runs at release and has an undo");
        assertThatThrownBy(() -> ScriptOptions.parse(java.util.Map.of("1.exec", "/bin/true", "1.failure", "ignore")))
                .hasMessageStartingWith("invalid script <script> #1 failure 'ignore': abort");
        assertThatThrownBy(() -> ScriptOptions.parse(java.util.Map.of("event", "started")))
                .hasMessageContaining("without script.exec");
    }

    @Test
    void scriptsRunInDocumentOrderAfterThePropertiesOne() throws IOException {
        ScriptOptions options = ScriptOptions.parse(new java.util.LinkedHashMap<>(java.util.Map.of(
                "exec", "/p", "timeout", "5s", "2.exec", "/b", "1.exec", "/a", "1.timeout", "1m", "10.exec", "/c", "3.exec", "/off",
                "3.enabled", "false")));

        assertThat(options.scripts()).extracting(s -> s.exec().toString()).containsExactly("/p", "/a", "/b", "/c");
        assertThat(options.scripts()).extracting(s -> ScriptFeature.format(s.timeout())).containsExactly("5s", "1m", "5s", "5s");
        assertThat(options.scripts().get(0).undo()).isEqualTo(Optional.empty());
    }
}
