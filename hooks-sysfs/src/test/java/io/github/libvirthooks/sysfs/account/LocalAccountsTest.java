package io.github.libvirthooks.sysfs.account;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.sysfs.FakeTree;
import io.github.libvirthooks.sysfs.HostRoot;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalAccountsTest {
    @TempDir
    Path root;

    @Test
    void namesComeFromTheHostRootsFilesAndNumbersStandForThemselves() {
        new FakeTree(root).file("/etc/passwd", "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n")
                .file("/etc/group", "root:x:0:\nkvm:x:994:alice,libvirt-qemu\nlibvirt-qemu:x:64055:\n");
        LocalAccounts accounts = new LocalAccounts(HostRoot.at(root));

        assertThat(accounts.uid("alice")).isEqualTo(OptionalInt.of(1000));
        assertThat(accounts.gid("kvm")).isEqualTo(OptionalInt.of(994));
        assertThat(accounts.uid("1001")).isEqualTo(OptionalInt.of(1001));
        assertThat(accounts.uid("bob")).isEmpty();
        assertThat(accounts.gid("alice")).isEmpty();
        assertThat(accounts.uid("root:x")).isEmpty();
        assertThat(accounts.uid("../etc")).isEmpty();
    }
}
