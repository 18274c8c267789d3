package io.github.libvirthooks.features.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code /etc/libvirt-hooks/environment}: libvirt-hooks settings as {@code KEY=VALUE} lines, for
 * those who prefer variables to properties. libvirtd gives a hook no variable of its own
 * environment, so this file is how variables reach the hook. It is data, never a shell script:
 * no expansion, no command, no {@code export}; one pair of surrounding quotes is taken off. Only
 * {@code LIBVIRT_HOOKS_*} names of libvirt-hooks keys are allowed, so that a typo is an error and
 * not a setting silently ignored.
 */
public final class EnvironmentFile {
    /** Its name, next to {@code application.properties}. */
    public static final String NAME = "environment";
    /** Far above any real configuration; a larger file is not one. */
    static final int MAX_BYTES = 256 * 1024;

    /** Compiled when a file is there to read, not at every hook start (most hosts have none). */
    private static final class Lines {
        static final Pattern LINE = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(.*)");
    }

    private EnvironmentFile() {
    }

    /** The file that belongs to a properties file. */
    public static Path besides(Path propertiesFile) {
        return propertiesFile.resolveSibling(NAME);
    }

    /**
     * The variables the file sets, in file order; empty when there is no file.
     *
     * @throws ConfigException naming the file, the line and what is wrong
     */
    public static Map<String, String> read(Path file) {
        byte[] bytes;
        try {
            if (Files.isSymbolicLink(file)) {
                throw new ConfigException("cannot read " + file + ": it is a symbolic link; make it a regular file");
            }
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new ConfigException("cannot read " + file + ": not a regular file");
            }
            if (Files.size(file) > MAX_BYTES) {
                throw new ConfigException("cannot read " + file + ": larger than " + MAX_BYTES / 1024 + " KiB; it holds KEY=VALUE lines");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (AccessDeniedException e) {
            throw new ConfigException("cannot read " + file + ": permission denied; the hook runs as root, make the file readable by root");
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getMessage());
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ConfigException("cannot read " + file + ": not UTF-8 text; save it as UTF-8");
        }
        return parse(text, file.toString());
    }

    static Map<String, String> parse(String text, String source) {
        Map<String, String> variables = new LinkedHashMap<>();
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = source + ":" + (i + 1) + ": ";
            if (line.indexOf('\0') >= 0) {
                throw new ConfigException(where + "a NUL character; the file holds KEY=VALUE lines");
            }
            Matcher m = Lines.LINE.matcher(line);
            if (!m.matches()) {
                throw new ConfigException(where + "'" + io.github.libvirthooks.features.state.DamagedJournal.printable(line) + "' is not KEY=VALUE (no spaces around '=', no 'export';"
                        + " the file is read as data, not by a shell)");
            }
            String name = m.group(1);
            if (!name.startsWith("LIBVIRT_HOOKS_") || !ConfigKey.isKnownEnvName(name)) {
                throw new ConfigException(where + name + " is not a libvirt-hooks setting; the names are LIBVIRT_HOOKS_<KEY> for"
                        + " the keys of application.properties, e.g. " + ConfigKey.envName(ConfigKey.hostWide("lock-timeout")));
            }
            if (variables.containsKey(name)) {
                throw new ConfigException(where + name + " is set twice (first on an earlier line); keep one");
            }
            variables.put(name, unquote(m.group(2).strip()));
        }
        return variables;
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"") || value.startsWith("'") && value.endsWith("'"))) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }
}
