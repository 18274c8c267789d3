package io.github.libvirthooks.sysfs.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.libvirthooks.sysfs.cgroup.LibvirtMachineScope.IothreadCgroup;
import io.github.libvirthooks.sysfs.cgroup.LibvirtMachineScope.Layout;
import io.github.libvirthooks.sysfs.cgroup.LibvirtMachineScope.VcpuCgroup;
import io.github.libvirthooks.testkit.FakeHost;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LibvirtMachineScopeTest {
    @TempDir
    Path dir;
    FakeHost tree;
    Cgroup root;

    @BeforeEach
    void setUp() {
        tree = FakeHost.at(dir).cgroup2();
        root = tree.rootCgroup();
    }

    /** Expected names from libvirt's own tests (tests/virsystemdtest.c) and its algorithm. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            "demo | 1 | qemu-1-demo",
            "demo-name | 2 | qemu-2-demo-name",
            "demo!name | 3 | qemu-3-demoname",
            ".demo | 4 | qemu-4-demo",
            "bull\uD83D\uDCA9 | 5 | qemu-5-bull",
            "demo..name | 6 | qemu-6-demo.name",
            "12345678901234567890123456789012345678901234567890123456789 | 7 | qemu-7-123456789012345678901234567890123456789012345678901234567",
            "123456789012345678901234567890123456789012345678901234567890 | 8 | qemu-8-123456789012345678901234567890123456789012345678901234567",
            "kstest-network-device-default-httpks_(c9eed63e-981e-48ec-acdc-56b3f8c5f678) | 100 | qemu-100-kstest-network-device-default-httpksc9eed63e-981e-48ec",
            "kstest-network-device-default-httpks_(c9eed63e-981e-48ec--cdc-56b3f8c5f678) | 10 | qemu-10-kstest-network-device-default-httpksc9eed63e-981e-48ec-c",
            "demo.-.test. | 11 | qemu-11-demo.test",
            "'|.-m' | 1 | qemu-1-m",
            "'Auto-esx7.0-rhel7.9-special-characters~!@#$%^&*_=+,?><:;|.\"[]()`\\-m' | 1 | qemu-1-Auto-esx7.0-rhel7.9-special-characters.m",
            "win10 | 1 | qemu-1-win10",
            "My VM_01 (copy) | 3 | qemu-3-MyVM01copy",
            "日本語 | 9 | qemu-9",
            "'' | 9 | qemu-9",
    })
    void machineNameFollowsLibvirt(String domainName, int id, String expected) {
        assertThat(LibvirtMachineScope.machineName("qemu", id, domainName)).isEqualTo(expected);
    }

    @Test
    void machineNamesNeverExceed64Characters() {
        String name = LibvirtMachineScope.machineName("qemu", 123456, "x".repeat(200));

        assertThat(name).hasSize(64).startsWith("qemu-123456-xxx");
    }

    @Test
    void scopeAndCgroupfsNamesAreBuiltLikeLibvirt() {
        assertThat(LibvirtMachineScope.systemdScopeName("qemu-1-win10")).isEqualTo("machine-qemu\\x2d1\\x2dwin10.scope");
        assertThat(LibvirtMachineScope.systemdScopeName("qemu-3-demo.name")).isEqualTo("machine-qemu\\x2d3\\x2ddemo.name.scope");
        assertThat(LibvirtMachineScope.cgroupfsName("qemu-1-win10", "qemu")).isEqualTo("qemu-1-win10.libvirt-qemu");
        assertThat(LibvirtMachineScope.cgroupfsName("cpu.x", "qemu")).isEqualTo("_cpu.x.libvirt-qemu");
        assertThatThrownBy(() -> LibvirtMachineScope.cgroupfsName("x", "Q E")).hasMessageContaining("not a libvirt driver name");
    }

    @Test
    void findsASystemdScopeByNameAndListsItsThreadCgroupsInTheNestedLibvirtCgroup() {
        String scope = "machine.slice/machine-qemu\\x2d3\\x2dwin10.scope";
        for (String child : new String[] {"vcpu0", "vcpu1", "vcpu10", "vcpu2", "emulator", "iothread1", "iothread2"}) {
            tree.cgroup(scope + "/libvirt/" + child, "cpuset cpu");
        }
        tree.cgroup("machine.slice/machine-qemu\\x2d4\\x2dwin10\\x2dgaming.scope", "cpuset cpu");

        LibvirtMachineScope found = LibvirtMachineScope.find(root, "win10", OptionalInt.empty()).orElseThrow();

        assertThat(found.cgroup()).isEqualTo(root.resolve(scope));
        assertThat(found.layout()).isEqualTo(Layout.SYSTEMD);
        assertThat(found.domainId()).isEqualTo(3);
        assertThat(found.machineName()).isEqualTo("qemu-3-win10");
        assertThat(found.threadParent()).isEqualTo(root.resolve(scope + "/libvirt"));
        assertThat(found.vcpus()).extracting(VcpuCgroup::vcpu).containsExactly(0, 1, 2, 10);
        assertThat(found.vcpus().get(3).cgroup()).isEqualTo(root.resolve(scope + "/libvirt/vcpu10"));
        assertThat(found.vcpu(2)).contains(root.resolve(scope + "/libvirt/vcpu2"));
        assertThat(found.vcpu(3)).isEmpty();
        assertThat(found.emulator()).contains(root.resolve(scope + "/libvirt/emulator"));
        assertThat(found.iothreads()).extracting(IothreadCgroup::iothread).containsExactly(1, 2);
    }

    @Test
    void findsOlderLayoutWithThreadCgroupsRightBelowTheScope() {
        String scope = "machine.slice/machine-qemu\\x2d1\\x2dwin10.scope";
        tree.cgroup(scope + "/vcpu0", "cpu").cgroup(scope + "/emulator", "cpu");

        LibvirtMachineScope found = LibvirtMachineScope.find(root, "win10", OptionalInt.of(1)).orElseThrow();

        assertThat(found.threadParent()).isEqualTo(root.resolve(scope));
        assertThat(found.vcpus()).containsExactly(new VcpuCgroup(0, root.resolve(scope + "/vcpu0")));
        assertThat(found.iothreads()).isEmpty();
    }

    @Test
    void theIdMustMatchWhenGiven() {
        tree.cgroup("machine.slice/machine-qemu\\x2d3\\x2dwin10.scope", "");

        assertThat(LibvirtMachineScope.find(root, "win10", OptionalInt.of(4))).isEmpty();
        assertThat(LibvirtMachineScope.find(root, "win10", OptionalInt.of(3))).isPresent();
    }

    @Test
    void findsWeirdAndTruncatedNames() {
        String longName = "Windows 11 Gaming VM with GPU passthrough and a very long descriptive name";
        String machine = LibvirtMachineScope.machineName("qemu", 12, longName);
        tree.cgroup("machine.slice/" + LibvirtMachineScope.systemdScopeName(machine), "");
        tree.cgroup("machine.slice/machine-qemu\\x2d7\\x2dMyVM01copy.scope", "");

        assertThat(LibvirtMachineScope.find(root, longName, OptionalInt.empty()).orElseThrow().domainId()).isEqualTo(12);
        assertThat(LibvirtMachineScope.find(root, "My VM_01 (copy)", OptionalInt.empty()).orElseThrow().machineName())
                .isEqualTo("qemu-7-MyVM01copy");
        assertThat(LibvirtMachineScope.find(root, "My VM", OptionalInt.empty())).isEmpty();
    }

    @Test
    void findsTheCgroupfsLayoutWithoutSystemd() {
        tree.cgroup("machine/qemu-2-winxp.libvirt-qemu/vcpu0", "cpu");

        LibvirtMachineScope found = LibvirtMachineScope.find(root, "winxp", OptionalInt.empty()).orElseThrow();

        assertThat(found.layout()).isEqualTo(Layout.CGROUPFS);
        assertThat(found.domainId()).isEqualTo(2);
        assertThat(found.cgroup().path()).isEqualTo("machine/qemu-2-winxp.libvirt-qemu");
        assertThat(found.vcpus()).extracting(VcpuCgroup::vcpu).containsExactly(0);
    }

    @Test
    void ignoresUnrelatedAndUnparsableCgroups() {
        tree.cgroup("machine.slice/machine-lxc\\x2d5\\x2dwin10.scope", "")
                .cgroup("machine.slice/machine-qemu\\x2dwin10.scope", "")
                .cgroup("machine.slice/machine-qemu\\x2dx\\x2dwin10.scope", "")
                .cgroup("machine.slice/machine-bad\\xzz.scope", "")
                .cgroup("machine.slice/machine-.scope", "")
                .cgroup("machine.slice/libvirtd.service", "")
                .file("/sys/fs/cgroup/machine.slice/cgroup.max.depth", "max");

        assertThat(LibvirtMachineScope.find(root, "win10", OptionalInt.empty())).isEmpty();
    }

    @Test
    void noMachinePartitionMeansNoScope() {
        assertThat(LibvirtMachineScope.find(root, "win10", OptionalInt.empty())).isEmpty();
    }

    @Test
    void severalMatchesWithoutAnIdAreAnErrorNamingThem() {
        tree.cgroup("machine.slice/machine-qemu\\x2d1\\x2dwin10.scope", "")
                .cgroup("machine.slice/machine-qemu\\x2d2\\x2dwin10.scope", "");

        assertThatThrownBy(() -> LibvirtMachineScope.find(root, "win10!", OptionalInt.empty()))
                .isInstanceOf(CgroupException.class)
                .hasMessageContaining("found 2 cgroups for domain 'win10!'")
                .hasMessageContaining("machine.slice/machine-qemu\\x2d1\\x2dwin10.scope")
                .hasMessageContaining("give the domain id to choose one");
        assertThat(LibvirtMachineScope.find(root, "win10!", OptionalInt.of(2)).orElseThrow().domainId()).isEqualTo(2);
    }

    @Test
    void findAllInSearchesACustomPartition() {
        tree.cgroup("machine.slice/machine-gaming.slice/machine-qemu\\x2d5\\x2dwin10.scope", "");

        assertThat(LibvirtMachineScope.find(root, "win10", OptionalInt.empty())).isEmpty();
        assertThat(LibvirtMachineScope.findAllIn(root.resolve("machine.slice/machine-gaming.slice"), "qemu", "win10", OptionalInt.empty()))
                .singleElement().extracting(LibvirtMachineScope::domainId).isEqualTo(5);
    }

    @Test
    void vcpuIdMustNotBeNegative() {
        tree.cgroup("machine.slice/machine-qemu\\x2d1\\x2dwin10.scope", "");
        LibvirtMachineScope found = LibvirtMachineScope.find(root, "win10", OptionalInt.empty()).orElseThrow();

        assertThatThrownBy(() -> found.vcpu(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
