package io.github.libvirthooks.sysfs.kernel;

import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel command line the host booted with ({@code /proc/cmdline}), split the way the
 * kernel splits it, with typed accessors for the parameters that matter to CPU isolation.
 *
 * <p>Splitting follows the kernel's {@code next_arg()}: parameters are separated by
 * whitespace, double quotes protect spaces ({@code foo="a b"} or {@code "foo=a b"}) and are
 * dropped from the value. A parameter may repeat: {@link #value} gives the last one, which is
 * the one that wins for ordinary parameters. Everything after a lone {@code --} belongs to init,
 * not the kernel, and is left out of {@link #parameters()}. As in the kernel, {@code -} and
 * {@code _} are the same character in parameter names.
 *
 * <p>CPU lists accept the kernel's {@code all} and {@code N} (the last CPU) only when the number
 * of possible CPUs is known: {@link #read} learns it from {@code /sys/devices/system/cpu/possible}.
 */
public final class KernelCommandLine {
    /** The kernel command line of this boot. */
    public static final String CMDLINE = "/proc/cmdline";
    static final String POSSIBLE = "/sys/devices/system/cpu/possible";

    private static final Pattern LAST_CPU = Pattern.compile("(?<![0-9A-Za-z])N(?![0-9A-Za-z])");

    /**
     * One kernel parameter.
     *
     * @param name     the name, as written (before the first {@code =})
     * @param value    the value without its quotes; empty when there is none
     * @param hasValue false for a bare flag such as {@code quiet}, true for {@code foo=} and {@code foo=bar}
     */
    public record Parameter(String name, String value, boolean hasValue) {
        /** Validates that a parameter without {@code =} has no value. */
        public Parameter {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            if (!hasValue && !value.isEmpty()) {
                throw new IllegalArgumentException("parameter " + name + " has a value but hasValue is false");
            }
        }

        /** True if this parameter is called {@code other}, treating {@code -} and {@code _} alike. */
        public boolean isNamed(String other) {
            return normalize(name).equals(normalize(other));
        }

        @Override
        public String toString() {
            return hasValue ? name + "=" + value : name;
        }
    }

    private final String text;
    private final List<Parameter> parameters;
    private final int nrCpuIds;

    private KernelCommandLine(String text, List<Parameter> parameters, int nrCpuIds) {
        this.text = text;
        this.parameters = List.copyOf(parameters);
        this.nrCpuIds = nrCpuIds;
    }

    /**
     * Reads {@code /proc/cmdline}, and {@code /sys/devices/system/cpu/possible} to resolve the
     * kernel's {@code all} and {@code N} in CPU lists.
     */
    public static KernelCommandLine read(HostRoot host) {
        Objects.requireNonNull(host, "host");
        if (!host.exists(CMDLINE)) {
            throw new HostAccessException(CMDLINE, "cannot read the kernel command line: " + CMDLINE
                    + " is missing (is procfs mounted on /proc?)");
        }
        String text = host.read(CMDLINE);
        int nrCpuIds = 0;
        Optional<String> possible = host.readIfExists(POSSIBLE);
        if (possible.isPresent()) {
            try {
                nrCpuIds = CpuSet.parseList(possible.get()).last() + 1;
            } catch (IllegalArgumentException e) {
                throw new HostAccessException(POSSIBLE, POSSIBLE + ": " + e.getMessage(), e);
            }
        }
        return parse(text, nrCpuIds);
    }

    /** Parses a command line; CPU lists with {@code all} or {@code N} will be refused. */
    public static KernelCommandLine parse(String text) {
        return parse(text, 0);
    }

    /**
     * Parses a command line for a host with {@code nrCpuIds} possible CPUs (0 if unknown), used
     * to resolve {@code all} and {@code N} in CPU lists.
     */
    public static KernelCommandLine parse(String text, int nrCpuIds) {
        Objects.requireNonNull(text, "text");
        if (nrCpuIds < 0 || nrCpuIds > CpuSet.MAX_CPU + 1) {
            throw new IllegalArgumentException("nrCpuIds must be 0.." + (CpuSet.MAX_CPU + 1) + ", was " + nrCpuIds);
        }
        List<Parameter> parameters = new ArrayList<>();
        int pos = skipSpaces(text, 0);
        while (pos < text.length()) {
            int[] next = new int[1];
            Parameter p = nextArg(text, pos, next);
            pos = skipSpaces(text, next[0]);
            if (!p.hasValue() && p.name().equals("--")) {
                // The rest belongs to init.
                break;
            }
            parameters.add(p);
        }
        return new KernelCommandLine(text, parameters, nrCpuIds);
    }

    /** The kernel's parameters in order (those before a lone {@code --}). */
    public List<Parameter> parameters() {
        return parameters;
    }

    /** The last value of the parameter, which is the one that takes effect for most parameters. */
    public Optional<String> value(String name) {
        Parameter last = null;
        for (Parameter p : parameters) {
            if (p.isNamed(name)) {
                last = p;
            }
        }
        return Optional.ofNullable(last).map(Parameter::value);
    }

    /**
     * {@code isolcpus=[flag,...,]cpus}: the CPUs isolated at boot and how.
     *
     * @throws IllegalArgumentException if the value is malformed (the kernel ignores such a parameter)
     */
    public Optional<Isolcpus> isolcpus() {
        return value("isolcpus").map(this::parseIsolcpus);
    }

    /** {@code nohz_full=cpus}: CPUs that run without the scheduler tick when busy with one task. */
    public Optional<CpuSet> nohzFull() {
        return value("nohz_full").map(v -> cpuList("nohz_full", v));
    }

    /** The command line as read. */
    @Override
    public String toString() {
        return text;
    }

    private Isolcpus parseIsolcpus(String value) {
        Set<IsolcpusFlag> flags = EnumSet.noneOf(IsolcpusFlag.class);
        List<String> unknown = new ArrayList<>();
        String rest = value;
        // The kernel takes leading words ending in ',' as flags as long as they start with a letter.
        while (!rest.isEmpty() && Character.isLetter(rest.charAt(0)) && !rest.startsWith("all") && !rest.equals("N")
                && !rest.startsWith("N-") && !rest.startsWith("N,")) {
            int comma = rest.indexOf(',');
            String word = comma < 0 ? rest : rest.substring(0, comma);
            if (!word.chars().allMatch(c -> Character.isLetter(c) || c == '_')) {
                throw new IllegalArgumentException("invalid isolcpus='" + value + "': flag '" + word
                        + "' has characters other than letters and '_' (the kernel ignores the whole parameter)");
            }
            IsolcpusFlag.fromKernelName(word).ifPresentOrElse(flags::add, () -> unknown.add(word));
            rest = comma < 0 ? "" : rest.substring(comma + 1);
        }
        return new Isolcpus(flags, cpuList("isolcpus", rest), unknown);
    }

    private CpuSet cpuList(String name, String value) {
        String list = value;
        if (list.contains("all") || LAST_CPU.matcher(list).find()) {
            if (nrCpuIds == 0) {
                throw new IllegalArgumentException(name + "=" + value + ": 'all' and 'N' need the number of possible CPUs;"
                        + " read the command line with KernelCommandLine.read or parse(text, nrCpuIds)");
            }
            String last = String.valueOf(nrCpuIds - 1);
            list = list.replace("all", "0-" + last);
            list = LAST_CPU.matcher(list).replaceAll(Matcher.quoteReplacement(last));
        }
        try {
            return CpuSet.parseList(list);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + "=" + value + ": " + e.getMessage(), e);
        }
    }

    /** The kernel's next_arg(): one parameter from {@code start}; {@code end[0]} receives where it stopped. */
    private static Parameter nextArg(String s, int start, int[] end) {
        int begin = start;
        boolean inQuote = false;
        boolean quoted = false;
        if (s.charAt(begin) == '"') {
            begin++;
            inQuote = true;
            quoted = true;
        }
        int equals = -1;
        int i = begin;
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (isSpace(c) && !inQuote) {
                break;
            }
            if (equals < 0 && c == '=' && i > begin) {
                equals = i;
            }
            if (c == '"') {
                inQuote = !inQuote;
            }
        }
        end[0] = i;
        int stop = i;
        if (quoted && stop > begin && s.charAt(stop - 1) == '"') {
            stop--;
        }
        if (equals < 0) {
            return new Parameter(s.substring(begin, Math.max(begin, stop)), "", false);
        }
        String name = s.substring(begin, equals);
        int valueStart = equals + 1;
        int valueEnd = i;
        if (valueStart < s.length() && valueStart < i && s.charAt(valueStart) == '"') {
            valueStart++;
            if (s.charAt(i - 1) == '"' && i - 1 >= valueStart) {
                valueEnd = i - 1;
            }
        } else if (quoted && valueEnd > valueStart && s.charAt(valueEnd - 1) == '"') {
            valueEnd--;
        }
        return new Parameter(name, s.substring(valueStart, Math.max(valueStart, valueEnd)), true);
    }

    private static int skipSpaces(String s, int pos) {
        while (pos < s.length() && isSpace(s.charAt(pos))) {
            pos++;
        }
        return pos;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }

    private static String normalize(String name) {
        return name.replace('-', '_');
    }
}
