package io.github.libvirthooks.app.importing;

import io.github.libvirthooks.features.engine.HookOperation;
import io.github.libvirthooks.features.script.ScriptFolders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Copies a VFIO-Tools (PassthroughPOST) hook tree, {@code qemu.d/<vm>/<operation>/<sub-operation>/*},
 * into libvirt-hooks' script folders, {@code <config-dir>/hooks.d/<vm>/<operation>/<sub-operation>/},
 * where the {@code script} feature runs them with a timeout, rollback and a log. Scripts are copied
 * unchanged (owned by root, mode 755, or 644 when they were not executable), never over an
 * existing file; everything that does not fit the layout is reported, not guessed at.
 */
public final class VfioToolsImport {
    /** Where VFIO-Tools keeps its tree. */
    public static final Path DEFAULT_SOURCE = Path.of("/etc/libvirt/hooks/qemu.d");
    /** VFIO-Tools runs at most this much of a script file; larger files are surely not scripts. */
    private static final long MAX_SCRIPT_BYTES = 16L << 20;

    /**
     * What an import did or would do.
     *
     * @param copied   one line per script copied ({@code from -> to})
     * @param left     executables directly in the tree, which libvirt runs itself (this program's launcher among them)
     * @param unmapped one line per file or folder that was not copied, and why
     * @param warnings copied, but worth a look (scripts calling virsh, non-executable files)
     * @param advice   what to do next
     */
    public record Report(List<String> copied, List<String> left, List<String> unmapped, List<String> warnings, List<String> advice) {
        public Report {
            copied = List.copyOf(copied);
            left = List.copyOf(left);
            unmapped = List.copyOf(unmapped);
            warnings = List.copyOf(warnings);
            advice = List.copyOf(advice);
        }
    }

    private final Path source;
    private final Path configDir;

    /**
     * @param source    the VFIO-Tools tree ({@code /etc/libvirt/hooks/qemu.d})
     * @param configDir libvirt-hooks' configuration folder ({@code /etc/libvirt-hooks})
     */
    public VfioToolsImport(Path source, Path configDir) {
        this.source = source;
        this.configDir = configDir;
    }

    /**
     * Imports (or with {@code dryRun}, only says what it would do).
     *
     * @throws ImportException when the source is not a folder or a copy fails
     */
    public Report run(boolean dryRun) {
        if (!Files.isDirectory(source)) {
            throw new ImportException("import: " + source + " is not a folder; give the VFIO-Tools tree with --from"
                    + " (usually /etc/libvirt/hooks/qemu.d)");
        }
        List<String> copied = new ArrayList<>();
        List<String> left = new ArrayList<>();
        List<String> unmapped = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Path target = configDir.resolve(ScriptFolders.PER_VM);
        for (Path vm : list(source)) {
            String vmName = vm.getFileName().toString();
            if (refusedLink(vm, unmapped)) {
                continue;
            }
            if (!Files.isDirectory(vm)) {
                left.add(vm + " (not a VM folder: libvirt runs the executables in this folder itself)");
                continue;
            }
            for (Path op : list(vm)) {
                if (refusedLink(op, unmapped)) {
                    continue;
                }
                HookOperation operation = operation(op);
                if (operation == null) {
                    unmapped.add(op + ": not a libvirt operation (" + Arrays.stream(HookOperation.values()).map(HookOperation::word)
                            .reduce((a, b) -> a + ", " + b).orElse("") + ")");
                    continue;
                }
                for (Path sub : list(op)) {
                    if (refusedLink(sub, unmapped)) {
                        continue;
                    }
                    String subName = sub.getFileName().toString();
                    if (!ScriptFolders.SUB_OPERATIONS.contains(subName)) {
                        unmapped.add(sub + ": not a sub-operation (begin, end or -)");
                        continue;
                    }
                    Path into = target.resolve(vmName).resolve(operation.word()).resolve(subName);
                    if (Files.isRegularFile(sub)) {
                        // VFIO-Tools also runs a single file named like the sub-operation.
                        copy(sub, into.resolve("50-" + subName), dryRun, copied, unmapped, warnings);
                        continue;
                    }
                    for (Path script : list(sub)) {
                        if (refusedLink(script, unmapped)) {
                            continue;
                        }
                        if (Files.isDirectory(script)) {
                            unmapped.add(script + ": a folder inside the sub-operation folder (VFIO-Tools did not run it either)");
                        } else if (!Files.isRegularFile(script)) {
                            unmapped.add(script + ": not a regular file" + (Files.isSymbolicLink(script) ? " (a dangling link)" : ""));
                        } else {
                            copy(script, into.resolve(script.getFileName().toString()), dryRun, copied, unmapped, warnings);
                        }
                    }
                }
            }
        }
        List<String> advice = new ArrayList<>();
        if (!copied.isEmpty()) {
            Path dispatcher = source.getParent() == null ? Path.of("qemu") : source.getParent().resolve("qemu");
            advice.add("check the copies with 'libvirt-hooks plan <vm> --event prepare', then remove the VFIO-Tools dispatcher "
                    + dispatcher + " and the old tree " + source + ": otherwise every script runs twice");
            advice.add("copied scripts abort a VM's start when they fail and are killed after 30s; set"
                    + " libvirt-hooks.all-vms.script.timeout and .failure=warn to change that");
        }
        return new Report(copied, left, unmapped, warnings, advice);
    }

    private void copy(Path from, Path to, boolean dryRun, List<String> copied, List<String> unmapped, List<String> warnings) {
        try {
            if (Files.size(from) > MAX_SCRIPT_BYTES) {
                unmapped.add(from + ": larger than 16 MiB, surely not a script");
                return;
            }
            byte[] bytes = Files.readAllBytes(from);
            boolean executable = Files.isExecutable(from);
            // Never more readable than the original (a root-only script stays root-only), never writable by others.
            java.util.Set<java.nio.file.attribute.PosixFilePermission> mode = Files.getPosixFilePermissions(from, LinkOption.NOFOLLOW_LINKS);
            mode.retainAll(PosixFilePermissions.fromString("rwxr-xr-x"));
            if (Files.exists(to, LinkOption.NOFOLLOW_LINKS)) {
                if (Files.isRegularFile(to) && Arrays.equals(Files.readAllBytes(to), bytes)) {
                    copied.add(from + " -> " + to + " (already there)");
                } else {
                    unmapped.add(from + ": " + to + " exists with other content; compare them and copy by hand");
                }
                return;
            }
            String text = new String(bytes, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
            if (text.contains("virsh") || text.contains("qemu:///system")) {
                warnings.add(to + " calls libvirt (virsh): libvirtd waits for its hooks, so a hook that calls it can deadlock;"
                        + " move that work out of the hook (a systemd unit, the service feature)");
            }
            if (!executable) {
                warnings.add(to + " is not executable (VFIO-Tools did not run it either); chmod 755 it to run it");
            }
            if (!dryRun) {
                Files.createDirectories(to.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
                Path tmp = to.resolveSibling("." + to.getFileName() + ".import");
                Files.write(tmp, bytes);
                Files.setPosixFilePermissions(tmp, mode);
                Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE);
            }
            copied.add(from + " -> " + to);
        } catch (IOException e) {
            throw new ImportException("import: cannot copy " + from + " to " + to + ": " + e.getMessage());
        }
    }

    /**
     * A symbolic link anywhere in the tree is not followed: it may point at any file of the host,
     * and the copy would run as root from {@code hooks.d}.
     */
    private static boolean refusedLink(Path path, List<String> unmapped) {
        if (!Files.isSymbolicLink(path)) {
            return false;
        }
        String target;
        try {
            target = String.valueOf(Files.readSymbolicLink(path));
        } catch (IOException e) {
            target = "?";
        }
        unmapped.add(path + ": a symbolic link (to " + target + "), not followed; copy what it points to by hand if you trust it");
        return true;
    }

    private static HookOperation operation(Path folder) {
        if (!Files.isDirectory(folder)) {
            return null;
        }
        String name = folder.getFileName().toString();
        for (HookOperation op : HookOperation.values()) {
            if (op.word().equals(name)) {
                return op;
            }
        }
        return null;
    }

    private static List<Path> list(Path folder) {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(folder)) {
            stream.forEach(entries::add);
        } catch (IOException e) {
            throw new ImportException("import: cannot list " + folder + ": " + e.getMessage());
        }
        entries.sort(null);
        return entries;
    }

    /** The import cannot go on; the message says what and what to do. */
    public static final class ImportException extends RuntimeException {
        public ImportException(String message) {
            super(message);
        }
    }
}
