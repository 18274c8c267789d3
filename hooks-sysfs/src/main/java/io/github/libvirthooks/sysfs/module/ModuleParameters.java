package io.github.libvirthooks.sysfs.module;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A loaded module's parameters, {@code /sys/module/<module>/parameters/<name>}. A module shows
 * only the parameters it declares readable: an absent file says "not shown", not "not set".
 */
public final class ModuleParameters {
    public static final String SYS_MODULE = "/sys/module";
    private static final int MAX_VALUES = 64;

    private final HostRoot host;
    private final String module;

    public ModuleParameters(HostRoot host, String module) {
        this.host = Objects.requireNonNull(host, "host");
        this.module = KernelModules.normalize(module);
    }

    /** The file of {@code parameter}. */
    public String path(String parameter) {
        if (!parameter.matches("[a-z0-9_]{1,64}")) {
            throw new IllegalArgumentException("invalid module parameter '" + parameter + "'");
        }
        return SYS_MODULE + "/" + module + "/parameters/" + parameter;
    }

    /** The parameter's text, empty when the module does not show it. */
    public Optional<String> read(String parameter) {
        return host.readIfExists(path(parameter)).map(String::strip);
    }

    /**
     * An array parameter of whole numbers ({@code module_param_array}: {@code 32,64}); empty when
     * not shown.
     *
     * @throws HostAccessException when the file holds something else
     */
    public Optional<List<Long>> numbers(String parameter) {
        Optional<String> text = read(parameter);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        List<Long> values = new ArrayList<>();
        for (String part : text.get().split(",", -1)) {
            if (!part.strip().matches("[0-9]{1,12}") || values.size() >= MAX_VALUES) {
                throw new HostAccessException(path(parameter), path(parameter) + ": expected numbers such as 32,64, found '"
                        + (text.get().length() > 60 ? text.get().substring(0, 60) + "..." : text.get()) + "'");
            }
            values.add(Long.parseLong(part.strip()));
        }
        return Optional.of(List.copyOf(values));
    }
}
