package io.github.libvirthooks.features.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything under {@code libvirt-hooks.} in {@code application.properties} and the environment.
 *
 * <p>Host-wide settings have built-in defaults. Features are turned on per VM with
 * {@code libvirt-hooks.vm."<vm-name>".<feature>.enabled=true} or for every VM with
 * {@code libvirt-hooks.all-vms.<feature>.enabled=true}; the other keys of a feature are its
 * options, passed to the feature as they are. Load it with {@link ConfigLoader}.
 */
@ConfigMapping(prefix = HooksConfig.PREFIX)
public interface HooksConfig {
    /** The prefix of every key. */
    String PREFIX = "libvirt-hooks";

    /** The option that turns a feature on or off; never passed to the feature itself. */
    String ENABLED = "enabled";

    /** Where {@code /sys}, {@code /proc} and {@code /run} are resolved: {@code /} except in tests and sandboxes. */
    @WithDefault("/")
    Path hostRoot();

    /** Where the per-VM journals and the host lock live (a tmpfs, cleared at boot). */
    @WithDefault("/run/libvirt-hooks")
    Path stateDir();

    /** How long a hook waits for another hook run to release the host lock. */
    @WithDefault("30s")
    Duration lockTimeout();

    /** Host-wide defaults of the hugepages feature. */
    Hugepages hugepages();

    /** Features and options for every VM ({@code libvirt-hooks.all-vms.<feature>.<option>}). */
    @WithName("all-vms")
    FeatureSettings allVms();

    /** Features and options per VM name ({@code libvirt-hooks.vm."<vm-name>".<feature>.<option>}). */
    Map<String, FeatureSettings> vm();

    /** {@code libvirt-hooks.hugepages.*}: used where a VM sets no {@code size} or {@code timeout} of its own. */
    interface Hugepages {
        /** The word for "the host's default hugepage size" ({@code /proc/meminfo} Hugepagesize). */
        String HOST = "host";

        /**
         * Page size for a bare {@code <hugepages/>} when the VM's settings name none: {@code host} (the default)
         * for the host's default hugepage size ({@code /proc/meminfo} Hugepagesize), as libvirt uses, or a size
         * ({@code 2M}, {@code 1G}). A {@code <page size>} in the domain XML always wins.
         */
        @WithName("default-size")
        @WithDefault(HOST)
        String defaultSize();

        /** How long to compact memory and retry when the kernel falls short. */
        @WithDefault("10s")
        Duration timeout();
    }

    /**
     * One map of options per feature, keyed by option name ({@code enabled} included).
     * A method per feature (not a map of features) so that SmallRye rejects unknown feature
     * names and matches environment variables of hyphenated ones.
     */
    interface FeatureSettings {
        /** {@code hugepages}: reserve hugepages for the VM's memory. */
        Map<String, String> hugepages();

        Map<String, String> isolcpu();

        Map<String, String> cfscpu();

        /** {@code cpufreq}: the VM's CPUs at the performance governor while it runs. */
        Map<String, String> cpufreq();

        /** {@code usb-return}: the VM's USB devices and controllers bound to host drivers again at release. */
        @WithName("usb-return")
        Map<String, String> usbReturn();

        /** {@code gpu-handoff}: hand the host's GPU to the VM at prepare, give it back at release. */
        @WithName("gpu-handoff")
        Map<String, String> gpuHandoff();

        /** {@code looking-glass}: the Looking Glass shared memory, made at prepare, removed at release. */
        @WithName("looking-glass")
        Map<String, String> lookingGlass();

        Map<String, String> nosleep();

        Map<String, String> dosleep();

        Map<String, String> ddcutil();

        Map<String, String> dohibernate();

        @WithName("beforeoff-dohibernate")
        Map<String, String> beforeoffDohibernate();

        @WithName("virtual-nas")
        Map<String, String> virtualNas();

        /** {@code service}: a systemd template unit per VM. */
        Map<String, String> service();

        /** {@code script}: the user's own executables (one per VM here; several in the XML and the folders). */
        Map<String, String> script();

        /**
         * Feature name to its options, every built-in feature, in run order. SmallRye needs a
         * method per feature; a test checks that these are exactly the built-in features' specs.
         */
        static Map<String, Map<String, String>> byName(FeatureSettings settings) {
            Map<String, Map<String, String>> byName = new LinkedHashMap<>();
            byName.put("hugepages", settings.hugepages());
            byName.put("isolcpu", settings.isolcpu());
            byName.put("cfscpu", settings.cfscpu());
            byName.put("cpufreq", settings.cpufreq());
            byName.put("usb-return", settings.usbReturn());
            byName.put("gpu-handoff", settings.gpuHandoff());
            byName.put("looking-glass", settings.lookingGlass());
            byName.put("nosleep", settings.nosleep());
            byName.put("dosleep", settings.dosleep());
            byName.put("dohibernate", settings.dohibernate());
            byName.put("beforeoff-dohibernate", settings.beforeoffDohibernate());
            byName.put("ddcutil", settings.ddcutil());
            byName.put("virtual-nas", settings.virtualNas());
            byName.put("service", settings.service());
            byName.put("script", settings.script());
            return byName;
        }
    }
}
