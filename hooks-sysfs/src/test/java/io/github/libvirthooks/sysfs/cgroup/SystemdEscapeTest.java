package io.github.libvirthooks.sysfs.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Expected values are the output of systemd-escape 252 (Debian 12). */
class SystemdEscapeTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "qemu-1-win10    | qemu\\x2d1\\x2dwin10",
            "a b             | a\\x20b",
            ".hidden         | \\x2ehidden",
            "a.b.            | a.b.",
            "ümlaut          | \\xc3\\xbcmlaut",
            "back\\slash     | back\\x5cslash",
            "a/b             | a-b",
            "x:y_z.w         | x:y_z.w",
            "-               | \\x2d",
            "\"tab\tx\"      | tab\\x09x",
            "win10 (gaming)! | win10\\x20\\x28gaming\\x29\\x21",
    })
    void escapesLikeSystemdEscape(String input, String expected) {
        assertThat(SystemdEscape.escape(input)).isEqualTo(expected);
    }

    @Test
    void escapesTheEmptyString() {
        assertThat(SystemdEscape.escape("")).isEmpty();
    }

    @Test
    void unescapeUndoesEscapeAndTurnsDashesIntoSlashes() {
        assertThat(SystemdEscape.unescape("qemu\\x2d1\\x2dwin10")).isEqualTo("qemu-1-win10");
        assertThat(SystemdEscape.unescape("foo-bar\\x2dbaz")).isEqualTo("foo/bar-baz");
        assertThat(SystemdEscape.unescape("\\xc3\\xbcmlaut")).isEqualTo("ümlaut");
        assertThat(SystemdEscape.unescape("\\x4A\\x4a")).isEqualTo("JJ");
    }

    @Test
    void unescapeRefusesBrokenEscapes() {
        assertThatThrownBy(() -> SystemdEscape.unescape("bad\\x2")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not followed by xNN");
        assertThatThrownBy(() -> SystemdEscape.unescape("bad\\y20")).hasMessageContaining("is not followed by xNN");
        assertThatThrownBy(() -> SystemdEscape.unescape("bad\\xg0")).hasMessageContaining("is not followed by xNN");
        assertThatThrownBy(() -> SystemdEscape.unescape("\\X41")).hasMessageContaining("is not followed by xNN");
        assertThatThrownBy(() -> SystemdEscape.unescape("\\xff")).hasMessageContaining("not UTF-8");
    }

    @Test
    void escapeAndUnescapeRoundTripWithoutSlashes() {
        for (String s : new String[] {"qemu-1-win10", "My VM_01 (copy)", ".x", "a\\b", "日本語", "x-y.z:w"}) {
            assertThat(SystemdEscape.unescape(SystemdEscape.escape(s))).isEqualTo(s);
        }
    }
}
