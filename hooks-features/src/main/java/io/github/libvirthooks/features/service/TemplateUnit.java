package io.github.libvirthooks.features.service;

import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.sysfs.cgroup.SystemdEscape;
import java.util.regex.Pattern;

/**
 * A systemd template service, such as {@code scream@.service}, and its instance for a VM:
 * {@code scream@<VM name escaped as systemd-escape does>.service}, so that {@code %I} in the unit
 * file gives back the VM name exactly, whatever characters it holds.
 *
 * @param prefix the template's name before the {@code @}
 */
public record TemplateUnit(String prefix) {
    /** systemd refuses longer unit names. */
    static final int MAX_UNIT = 255;
    // Not starting with '-': systemctl would read "-Hnobody@vm.service" as its -H option.
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9:_.\\\\][A-Za-z0-9:_.\\\\-]{0,199}");

    public TemplateUnit {
        if (!PREFIX.matcher(prefix).matches()) {
            throw new FeatureException("invalid service unit '" + prefix + "': a systemd template name such as scream or"
                    + " scream@.service (letters, digits, : _ . - \\, not starting with -)");
        }
    }

    /** Parses {@code scream}, {@code scream@} or {@code scream@.service}. */
    public static TemplateUnit parse(String text) {
        String t = text.strip();
        if (t.endsWith("@.service")) {
            t = t.substring(0, t.length() - "@.service".length());
        } else if (t.endsWith("@")) {
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith(".service") || t.contains("@")) {
            throw new FeatureException("invalid service unit '" + text + "': name a template (scream or scream@.service);"
                    + " libvirt-hooks adds the instance, the VM's name");
        }
        return new TemplateUnit(t);
    }

    /**
     * The instance for a VM.
     *
     * @throws FeatureException when the escaped name is too long for systemd
     */
    public String instanceFor(String vmName) {
        String unit = prefix + "@" + SystemdEscape.escape(vmName) + ".service";
        if (unit.length() > MAX_UNIT) {
            throw new FeatureException("service: the unit for VM '" + vmName + "' would be " + unit.length()
                    + " characters long, more than systemd's " + MAX_UNIT + "; give the VM a shorter name");
        }
        return unit;
    }

    /** The template unit file's name. */
    public String template() {
        return prefix + "@.service";
    }
}
