package io.github.libvirthooks.app.docs;

import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Renders the picocli model of the command and its subcommands as a roff man page (section 1),
 * so that {@code man libvirt-hooks} always matches {@code --help}.
 */
public final class ManPage {
    private ManPage() {
    }

    /** The whole page for a top command. */
    public static String render(CommandLine top, String version, String date) {
        CommandSpec spec = top.getCommandSpec();
        StringBuilder out = new StringBuilder();
        out.append(".TH ").append(escape(spec.name().toUpperCase(Locale.ROOT))).append(" 1 \"").append(date).append("\" \"")
                .append(escape(version)).append("\" \"User Commands\"\n");
        out.append(".SH NAME\n").append(escape(spec.name())).append(" \\- ").append(escape(first(spec.usageMessage().description())))
                .append('\n');
        out.append(".SH SYNOPSIS\n.B ").append(escape(spec.name())).append("\n[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]\n");
        out.append(".SH DESCRIPTION\n");
        for (String line : spec.usageMessage().description()) {
            out.append(escape(line)).append("\n.PP\n");
        }
        options(out, spec);
        out.append(".SH COMMANDS\n");
        for (CommandLine sub : top.getSubcommands().values()) {
            CommandSpec s = sub.getCommandSpec();
            if (s.usageMessage().hidden() || !s.name().equals(sub.getCommandName())) {
                continue;
            }
            out.append(".SS ").append(escape(spec.name() + " " + s.name()));
            for (PositionalParamSpec p : s.positionalParameters()) {
                out.append(' ').append(escape(p.paramLabel()));
            }
            out.append('\n');
            for (String line : s.usageMessage().description()) {
                out.append(escape(line)).append("\n.PP\n");
            }
            options(out, s);
        }
        out.append(".SH FILES\n")
                .append(".TP\n/etc/libvirt-hooks/application.properties\nConfiguration (defaults < this file < environment < the VM's XML metadata).\n")
                .append(".TP\n/etc/libvirt/hooks/qemu.d/libvirt-hooks\nThe launcher libvirtd runs.\n")
                .append(".TP\n/run/libvirt-hooks/\nJournals of host changes per VM, the host lock and the hook log.\n");
        out.append(".SH EXIT STATUS\n0 done; 1 failed (for hook: libvirt aborts the VM's start); 2 usage; 3 doctor found a failing check.\n");
        return out.toString();
    }

    private static void options(StringBuilder out, CommandSpec spec) {
        List<OptionSpec> options = spec.options().stream().filter(o -> !o.hidden()).toList();
        if (options.isEmpty()) {
            return;
        }
        for (OptionSpec o : options) {
            out.append(".TP\n\\fB").append(escape(String.join(", ", o.names()))).append("\\fR");
            if (o.arity().max() > 0) {
                out.append(" \\fI").append(escape(o.paramLabel())).append("\\fR");
            }
            out.append('\n').append(escape(String.join(" ", o.description()).replace("${DEFAULT-VALUE}",
                    String.valueOf(o.defaultValue())))).append('\n');
        }
    }

    private static String first(String[] lines) {
        return lines.length == 0 ? "" : lines[0];
    }

    /** roff needs backslashes and leading dots or quotes escaped. */
    static String escape(String s) {
        String e = s.replace("\\", "\\e").replace("-", "\\-");
        if (e.startsWith(".") || e.startsWith("'")) {
            e = "\\&" + e;
        }
        return e.replace("\n.", "\n\\&.");
    }
}
