package io.github.libvirthooks.deployment.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real libvirtd of this machine, driven through {@code virsh} with argument lists, for the
 * end-to-end tests. Domains are tiny, firmware-only KVM guests (no disk: they idle in the BIOS).
 */
final class Libvirt {
    static final Path UP = Path.of("e2e/libvirtd-up.sh");

    /** The outcome of a command. */
    record Result(int exit, String out, String err) {
        boolean ok() {
            return exit == 0;
        }
    }

    static Result run(List<String> argv, String stdin, int timeoutSeconds) {
        try {
            Process p = new ProcessBuilder(argv).start();
            if (stdin != null) {
                try (var in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // The command may exit without reading its input.
                }
            } else {
                p.getOutputStream().close();
            }
            var out = p.getInputStream();
            var err = p.getErrorStream();
            var outText = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(out));
            var errText = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(err));
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", argv) + " did not finish within " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), outText.get(5, TimeUnit.SECONDS), errText.get(5, TimeUnit.SECONDS));
        } catch (Exception e) {
            throw new AssertionError("cannot run " + argv + ": " + e.getMessage(), e);
        }
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    static Result virsh(String... args) {
        List<String> argv = new ArrayList<>(List.of("virsh", "--connect", "qemu:///system"));
        argv.addAll(List.of(args));
        return run(argv, null, 60);
    }

    static void up(boolean restart) {
        Result r = run(restart ? List.of("sh", UP.toString(), "--restart") : List.of("sh", UP.toString()), null, 600);
        if (!r.ok()) {
            throw new AssertionError("libvirtd-up.sh failed: " + r.err() + r.out());
        }
    }

    /** Restarts libvirtd with these variables in its environment, as a systemd drop-in's {@code Environment=} would. */
    static void upWithEnvironment(java.util.Map<String, String> variables) {
        try {
            ProcessBuilder builder = new ProcessBuilder("sh", UP.toString(), "--restart").redirectErrorStream(true);
            builder.environment().putAll(variables);
            Process p = builder.start();
            p.getOutputStream().close();
            String out = read(p.getInputStream());
            if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError("libvirtd-up.sh --restart failed: " + out);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Deletes a file tree the test made, if it is there. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (java.util.stream.Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Defines a domain from XML (through a file: virsh reads XML only from files). */
    static void define(Path dir, String xml) throws IOException {
        Path file = Files.createTempFile(dir, "domain", ".xml");
        Files.writeString(file, xml);
        Result r = virsh("define", file.toString());
        if (!r.ok()) {
            throw new AssertionError("virsh define failed: " + r.err());
        }
    }

    static void destroyAndUndefine(String name) {
        virsh("destroy", "--", name);
        virsh("undefine", "--", name);
    }

    /** A 64 MiB-per-unit, 1-vCPU KVM domain without disk. */
    static String domain(String name, int memoryMiB, boolean hugepages, String hooksMetadata) {
        String escaped = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;")
                .replace("\"", "&quot;");
        return "<domain type='kvm'>"
                + "<name>" + escaped + "</name>"
                + (hooksMetadata.isEmpty() ? "" : "<metadata><hooks xmlns='urn:libvirt-hooks:1'>" + hooksMetadata + "</hooks></metadata>")
                + "<memory unit='MiB'>" + memoryMiB + "</memory>"
                + (hugepages ? "<memoryBacking><hugepages/></memoryBacking>" : "")
                + "<vcpu>1</vcpu>"
                + "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
                + "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>"
                + "</domain>";
    }

    static long nrHugepages() {
        try {
            return Long.parseLong(Files.readString(Path.of("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages")).strip());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Skips the suite, saying so loudly, where it cannot run: it needs root (its guests run under software emulation). */
    static void assumeRoot(String suite) {
        boolean root = "0".equals(run(List.of("id", "-u"), null, 10).out().strip());
        if (!root) {
            System.out.println("\n*** SKIPPING " + suite + ": not root; they need root to drive this machine's libvirtd. ***\n");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(root, suite + " need root");
    }

    /** Skips the suite, saying so loudly, where it cannot run: it needs root and a usable /dev/kvm. */
    static void assumeRootAndKvm(String suite) {
        boolean root = "0".equals(run(List.of("id", "-u"), null, 10).out().strip());
        boolean kvm = Files.isReadable(Path.of("/dev/kvm")) && Files.isWritable(Path.of("/dev/kvm"));
        if (!root || !kvm) {
            System.out.println("\n*** SKIPPING " + suite + ": " + (root ? "" : "not root; ")
                    + (kvm ? "" : "/dev/kvm is missing or not usable; ") + "they need both. ***\n");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(root && kvm, suite + " need root and /dev/kvm");
    }

    /** The unpacked distribution 'package' built: target/libvirt-hooks-V/libvirt-hooks-V/. */
    static Path distribution() throws IOException {
        List<Path> found = new ArrayList<>();
        try (java.util.stream.Stream<Path> dirs = Files.list(Path.of("target"))) {
            for (Path outer : (Iterable<Path>) dirs.filter(p -> p.getFileName().toString().startsWith("libvirt-hooks-"))
                    .filter(Files::isDirectory)::iterator) {
                try (java.util.stream.Stream<Path> inner = Files.list(outer)) {
                    inner.filter(p -> Files.exists(p.resolve("installer.sh"))).forEach(found::add);
                }
            }
        }
        if (found.size() != 1) {
            throw new AssertionError("expected one distribution built by 'package' under target/, found " + found);
        }
        return found.get(0).toAbsolutePath();
    }

    private Libvirt() {
    }
}
