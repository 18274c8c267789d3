package io.github.libvirthooks.features.hostpower;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlException;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GuestPmTest {
    private static final String AGENT = "<devices><channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel></devices>";

    @Test
    void readsBothStatesAndTellsMissingFromDisabled() {
        assertThat(pm("<pm><suspend-to-mem enabled='yes'/><suspend-to-disk enabled='no'/></pm>"))
                .isEqualTo(new GuestPm(Optional.of(true), Optional.of(false)));
        assertThat(pm("<pm><suspend-to-disk enabled='yes'/></pm>")).isEqualTo(new GuestPm(Optional.empty(), Optional.of(true)));
        assertThat(pm("")).isEqualTo(GuestPm.UNSET);
    }

    @Test
    void aValueOtherThanYesOrNoIsRefused() {
        assertThatThrownBy(() -> pm("<pm><suspend-to-disk enabled='maybe'/></pm>")).isInstanceOf(DomainXmlException.class)
                .hasMessage("invalid <pm><suspend-to-disk enabled='maybe'>: expected yes or no");
    }

    @Test
    void doctypesAreRefused() {
        byte[] xml = "<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain><name>&x;</name></domain>".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> GuestPm.parse(xml)).isInstanceOf(DomainXmlException.class);
    }

    @Test
    void hibernationNeedsTheAgentChannelAndAnExplicitYes() {
        assertThat(PowerSupport.hibernation(domain(AGENT), pm("<pm><suspend-to-disk enabled='yes'/></pm>")).possible()).isTrue();
        assertThat(PowerSupport.hibernation(domain(AGENT), GuestPm.UNSET).reason())
                .isEqualTo("the domain XML does not enable S4: add <pm><suspend-to-disk enabled='yes'/></pm>");
        assertThat(PowerSupport.hibernation(domain(""), pm("<pm><suspend-to-disk enabled='yes'/></pm>")).reason())
                .startsWith("no guest agent channel");
        assertThat(PowerSupport.suspendToMem(domain(AGENT), pm("<pm><suspend-to-mem enabled='no'/></pm>")).reason())
                .isEqualTo("the domain XML disables S3 (<pm><suspend-to-mem enabled='no'/>)");
    }

    @Test
    void managedSaveIsImpossibleWithHostDevices() {
        assertThat(PowerSupport.managedSave(domain("<devices><hostdev mode='subsystem' type='pci'/></devices>")).possible()).isFalse();
        assertThat(PowerSupport.managedSave(domain("")).possible()).isTrue();
    }

    private static GuestPm pm(String inner) {
        return GuestPm.parse(("<domain><name>x</name>" + inner + "</domain>").getBytes(StandardCharsets.UTF_8));
    }

    private static Domain domain(String inner) {
        return new DomainXmlParser().parse(("<domain><name>x</name>" + inner + "</domain>").getBytes(StandardCharsets.UTF_8));
    }
}
