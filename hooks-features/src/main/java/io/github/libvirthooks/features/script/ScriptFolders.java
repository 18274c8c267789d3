package io.github.libvirthooks.features.script;

import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.engine.HookOperation;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Scripts found by folder, laid out like VFIO-Tools' {@code qemu.d}, below the configuration folder:
 * <pre>
 *   /etc/libvirt-hooks/hooks.d/&lt;vm-name&gt;/&lt;operation&gt;/&lt;sub-operation&gt;/*   for one VM
 *   /etc/libvirt-hooks/all-vms.d/&lt;operation&gt;/&lt;sub-operation&gt;/*         for every VM
 * </pre>
 * At an event, the all-VMs scripts run first, then the VM's, each folder in file-name order
 * (like libvirt's own {@code qemu.d}). Files whose names start with a dot are ignored.
 */
public final class ScriptFolders {
    /** The per-VM folder below the configuration folder. */
    public static final String PER_VM = "hooks.d";
    /** The all-VMs folder below the configuration folder. */
    public static final String ALL_VMS = "all-vms.d";
    /** Sub-operations libvirt passes. */
    public static final List<String> SUB_OPERATIONS = List.of("begin", "end", "-");

    private final Path configDir;

    public ScriptFolders(Path configDir) {
        this.configDir = configDir;
    }

    /** The folder of one VM's scripts; empty for names that cannot be a folder name. */
    public Optional<Path> vmFolder(String vmName) {
        if (vmName.isEmpty() || vmName.equals(".") || vmName.equals("..") || vmName.indexOf('/') >= 0 || vmName.indexOf('\0') >= 0) {
            return Optional.empty();
        }
        return Optional.of(configDir.resolve(PER_VM).resolve(vmName));
    }

    /** True when either folder exists for this VM (so the {@code script} feature is on). */
    public boolean anyFor(String vmName) {
        if (Files.isDirectory(configDir.resolve(ALL_VMS))) {
            return true;
        }
        Optional<Path> own = vmFolder(vmName);
        return own.isPresent() && Files.isDirectory(own.get());
    }

    /**
     * The scripts of one event, all-VMs folder first.
     *
     * @param skipped receives a line for each file that is not run and why
     */
    public List<ScriptSpec> at(String vmName, HookOperation operation, String subOperation, ScriptOptions defaults,
            List<String> skipped) {
        List<ScriptSpec> found = new ArrayList<>();
        ScriptEvent event = new ScriptEvent(operation, Optional.of(subOperation));
        List<Path> folders = new ArrayList<>();
        folders.add(configDir.resolve(ALL_VMS));
        vmFolder(vmName).ifPresent(folders::add);
        for (Path base : folders) {
            Path folder = base.resolve(operation.word()).resolve(subOperation);
            for (Path file : list(folder)) {
                if (!Files.isRegularFile(file)) {
                    skipped.add(file + " (not a regular file)");
                } else if (!Files.isExecutable(file)) {
                    skipped.add(file + " (not executable: chmod 755 it to run it)");
                } else {
                    found.add(new ScriptSpec(folder.toString(), file, event, Optional.empty(), defaults.defaultTimeout(),
                            defaults.defaultFailure(), Map.of()));
                }
            }
        }
        return found;
    }

    /** The scripts of every event, for the checks made at prepare. */
    public List<ScriptSpec> all(String vmName, ScriptOptions defaults, List<String> skipped) {
        List<ScriptSpec> found = new ArrayList<>();
        for (HookOperation operation : HookOperation.values()) {
            for (String sub : SUB_OPERATIONS) {
                found.addAll(at(vmName, operation, sub, defaults, skipped));
            }
        }
        return found;
    }

    private static List<Path> list(Path folder) {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            for (Path p : entries) {
                if (!p.getFileName().toString().startsWith(".")) {
                    files.add(p);
                }
            }
        } catch (IOException e) {
            throw new FeatureException("script: cannot list " + folder + ": " + e.getMessage());
        }
        files.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        return files;
    }
}
