package io.github.libvirthooks.sysfs.cgroup;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * systemd's unit name escaping, as done by {@code systemd-escape} and by systemd itself
 * (src/basic/unit-name.c), which also names the cgroups of units: libvirt's
 * {@code machine-qemu\x2d1\x2dwin10.scope} is {@code "machine-" + escape("qemu-1-win10") + ".scope"}.
 *
 * <p>Escaping works on UTF-8 bytes: {@code /} becomes {@code -}; ASCII letters, digits,
 * {@code :}, {@code _} and {@code .} stay; every other byte, {@code -} and {@code \} included,
 * becomes {@code \xNN} (lower-case hex); a leading {@code .} is escaped too, so that no unit
 * name starts with a dot.
 */
public final class SystemdEscape {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private SystemdEscape() {
    }

    /** Escapes a string like {@code systemd-escape STRING}: {@code "qemu-1-win10"} gives {@code qemu\x2d1\x2dwin10}. */
    public static String escape(String s) {
        Objects.requireNonNull(s, "s");
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(bytes.length * 2);
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            if (i == 0 && b == '.') {
                appendEscaped(out, b);
            } else if (b == '/') {
                out.append('-');
            } else if (isValid(b)) {
                out.append((char) b);
            } else {
                appendEscaped(out, b);
            }
        }
        return out.toString();
    }

    /**
     * Undoes {@link #escape} like {@code systemd-escape --unescape}: {@code \xNN} becomes
     * the byte, {@code -} becomes {@code /}. {@code qemu\x2d1\x2dwin10} gives {@code qemu-1-win10}.
     *
     * @throws IllegalArgumentException for a {@code \} not followed by {@code x} and two hex
     *                                  digits, or bytes that are not UTF-8
     */
    public static String unescape(String s) {
        Objects.requireNonNull(s, "s");
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        byte[] in = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < in.length; i++) {
            byte b = in[i];
            if (b == '-') {
                out.write('/');
            } else if (b == '\\') {
                if (i + 3 >= in.length || in[i + 1] != 'x') {
                    throw new IllegalArgumentException("cannot unescape '" + s + "': '\\' at " + i + " is not followed by xNN");
                }
                int high = Character.digit(in[i + 2], 16);
                int low = Character.digit(in[i + 3], 16);
                if (high < 0 || low < 0) {
                    throw new IllegalArgumentException("cannot unescape '" + s + "': '\\' at " + i + " is not followed by xNN");
                }
                out.write(high << 4 | low);
                i += 3;
            } else {
                out.write(b);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(out.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("cannot unescape '" + s + "': the result is not UTF-8 text", e);
        }
    }

    private static boolean isValid(int b) {
        return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == ':' || b == '_' || b == '.';
    }

    private static void appendEscaped(StringBuilder out, int b) {
        out.append('\\').append('x').append(HEX[b >> 4]).append(HEX[b & 15]);
    }
}
