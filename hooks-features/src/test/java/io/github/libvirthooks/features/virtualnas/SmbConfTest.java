package io.github.libvirthooks.features.virtualnas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.engine.FeatureException;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class SmbConfTest {
    private static final Ipv4 ADDRESS = Ipv4.parse("192.168.100.1");

    @Test
    void aReadOnlyShareIsBoundToTheNetworksAddressAndOpenToItsSubnetOnly() {
        String text = conf("/srv/share", "share", true, false).render();
        assertThat(text).contains("\tinterfaces = 192.168.100.1/24\n", "\tbind interfaces only = yes\n",
                "\thosts allow = 192.168.100.0/24\n", "\thosts deny = 0.0.0.0/0\n", "\tsmb ports = 445\n",
                "\tdisable netbios = yes\n", "\tserver min protocol = SMB2_02\n", "\tntlm auth = ntlmv2-only\n",
                "\tload printers = no\n", "\tpid directory = /run/libvirt-hooks/nas/win-1/pid\n",
                "\tlock directory = /run/libvirt-hooks/nas/win-1/lock\n", "\tprivate dir = /run/libvirt-hooks/nas/win-1/private\n",
                "\n[share]\n", "\tpath = /srv/share\n", "\tread only = yes\n", "\tguest only = yes\n", "\tforce user = nobody\n",
                "\twide links = no\n");
        assertThat(text).doesNotContain("NT1", "create mask");
    }

    @Test
    void smb1AndNtlmv1OnlyWhenAskedFor() {
        String text = conf("/srv/share", "XPSHARE", false, true).render();
        assertThat(text).contains("\tserver min protocol = NT1\n", "\tntlm auth = ntlmv1-permitted\n", "\tread only = no\n",
                "\tcreate mask = 0664\n", "\n[XPSHARE]\n");
    }

    @Test
    void pathsThatCouldChangeTheFilesMeaningAreRefused() {
        for (String bad : List.of("/srv/a\nb", "/srv/a\n[global]", "/srv/\"x\"", "/srv/it's", "/srv/%U", "/srv/a\\", "/srv/a ",
                " /srv/a", "srv/a", "/srv/a\u0000b", "/srv/\u007f", "/srv/a\tb", "/srv/a\rb")) {
            assertThatThrownBy(() -> SmbConf.checkPath(bad)).as(bad.replace("\n", "\\n")).isInstanceOf(FeatureException.class);
        }
        SmbConf.checkPath("/srv/Spiele für XP; #1 [alt] = ok");
    }

    @Test
    void shareNamesAreWordsNotSectionsOrReservedNames() {
        for (String bad : List.of("global", "GLOBAL", "homes", "printers", "a]b", "[x", "a b", "", "-x", "x".repeat(81), "ipc$", "d\n")) {
            assertThatThrownBy(() -> SmbConf.checkShareName(bad)).as(bad).isInstanceOf(FeatureException.class);
        }
        SmbConf.checkShareName("games_2.old-1");
    }

    @Test
    void subnetsAndNetmasks() {
        assertThat(Ipv4.parse("10.1.2.3").network(8)).hasToString("10.0.0.0");
        assertThat(Ipv4.prefixOf("255.255.255.0")).isEqualTo(24);
        assertThat(Ipv4.prefixOf("255.255.240.0")).isEqualTo(20);
        assertThatThrownBy(() -> Ipv4.prefixOf("255.0.255.0")).hasMessageContaining("not contiguous");
        for (String bad : List.of("1.2.3", "1.2.3.256", "01.2.3.4", "a.b.c.d", "1.2.3.4.5", "")) {
            assertThatThrownBy(() -> Ipv4.parse(bad)).as(bad).isInstanceOf(FeatureException.class);
        }
    }

    /** Whatever path is accepted stays one line of the share section, exactly as given. */
    @Property(tries = 500)
    void anAcceptedPathIsExactlyOneLine(@ForAll String tail) {
        String path = "/srv/" + tail;
        try {
            SmbConf.checkPath(path);
        } catch (FeatureException refused) {
            return;
        }
        String text = conf(path, "share", true, false).render();
        assertThat(text.lines().filter(l -> l.startsWith("\tpath = "))).containsExactly("\tpath = " + path);
        assertThat(text.lines().filter(l -> l.startsWith("["))).containsExactly("[global]", "[share]");
        assertThat(text).doesNotContain("\\\n");
    }

    private static SmbConf conf(String path, String share, boolean readOnly, boolean smb1) {
        return new SmbConf("/run/libvirt-hooks/nas/win-1", ADDRESS, 24, share, path, readOnly, smb1, "nobody");
    }
}
