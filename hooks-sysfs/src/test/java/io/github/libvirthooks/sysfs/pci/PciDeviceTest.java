package io.github.libvirthooks.sysfs.pci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.FakeTree;
import io.github.libvirthooks.sysfs.HostAccessException;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.HostWriteListener;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PciDeviceTest {
    static final PciAddress GPU = new PciAddress("0000:01:00.0");
    static final PciAddress AUDIO = new PciAddress("0000:01:00.1");
    static final String REAL = "/sys/devices/pci0000:00/0000:00:01.0/";

    @TempDir
    Path root;
    FakeTree tree;

    @BeforeEach
    void gpu() throws IOException {
        tree = new FakeTree(root);
        function(GPU, "amdgpu", 12, "0x030000");
        function(AUDIO, "snd_hda_intel", 12, "0x040300");
        tree.file(REAL + GPU + "/boot_vga", "1").file(REAL + GPU + "/reset_method", "flr bus").file(REAL + GPU + "/driver_override",
                "(null)").dir(REAL + GPU + "/drm/card0").dir(REAL + GPU + "/drm/renderD128").dir(REAL + GPU + "/drm/something");
        tree.file(REAL + AUDIO + "/reset_method", "");
        tree.file("/sys/bus/pci/drivers/amdgpu/unbind", "").file("/sys/bus/pci/drivers/amdgpu/bind", "")
                .file("/sys/bus/pci/drivers_probe", "");
        Files.createSymbolicLink(tree.local("/sys/bus/pci/drivers/amdgpu/module"), Path.of("../../../../module/amdgpu"));
    }

    void function(PciAddress a, String driver, int group, String pciClass) throws IOException {
        tree.file(REAL + a + "/class", pciClass).file(REAL + a + "/vendor", "0x1002").dir("/sys/bus/pci/drivers/" + driver)
                .dir("/sys/bus/pci/devices").dir("/sys/kernel/iommu_groups/" + group + "/devices");
        Files.createSymbolicLink(tree.local("/sys/bus/pci/devices/" + a), Path.of("../../../devices/pci0000:00/0000:00:01.0/" + a));
        Files.createSymbolicLink(tree.local(REAL + a + "/driver"), Path.of("../../../../bus/pci/drivers/" + driver));
        Files.createSymbolicLink(tree.local(REAL + a + "/iommu_group"), Path.of("../../../../kernel/iommu_groups/" + group));
        Files.createSymbolicLink(tree.local("/sys/kernel/iommu_groups/" + group + "/devices/" + a),
                Path.of("../../../../devices/pci0000:00/0000:00:01.0/" + a));
    }

    @Test
    void readsWhatTheKernelTellsAboutTheFunction() {
        PciDevice gpu = new PciDevice(tree.host(), GPU);
        assertThat(gpu.exists()).isTrue();
        assertThat(gpu.driver()).contains("amdgpu");
        assertThat(gpu.driverOverride()).isEmpty();
        assertThat(gpu.iommuGroup()).hasValue(12);
        assertThat(gpu.bootVga()).isTrue();
        assertThat(gpu.isDisplay()).isTrue();
        assertThat(gpu.isBridge()).isFalse();
        assertThat(gpu.vendor()).isEqualTo(0x1002);
        assertThat(gpu.resetMethods()).containsExactly("flr", "bus");
        assertThat(gpu.parentBridge()).contains(new PciAddress("0000:00:01.0"));
        assertThat(gpu.drmNodes()).containsExactly("/dev/dri/card0", "/dev/dri/renderD128");
        assertThat(gpu.drmCards()).containsExactly("card0");
        assertThat(PciDevice.driverModule(tree.host(), "amdgpu")).contains("amdgpu");
        assertThat(PciDevice.all(tree.host())).containsExactly(GPU, AUDIO);
        PciDevice audio = new PciDevice(tree.host(), AUDIO);
        assertThat(audio.bootVga()).isFalse();
        assertThat(audio.resetMethods()).isEmpty();
        assertThat(audio.reportsResetMethods()).isTrue();
        assertThat(new IommuGroups(tree.host()).devices(12)).containsExactly(GPU, AUDIO);
        assertThat(new IommuGroups(tree.host()).enabled()).isTrue();
    }

    @Test
    void aDeviceWithoutDriverOrGroupSaysSo() throws IOException {
        Files.delete(tree.local(REAL + GPU + "/driver"));
        Files.delete(tree.local(REAL + GPU + "/iommu_group"));
        PciDevice gpu = new PciDevice(tree.host(), GPU);
        assertThat(gpu.driver()).isEmpty();
        assertThat(gpu.iommuGroup()).isEmpty();
        assertThat(new PciDevice(tree.host(), new PciAddress("0000:09:00.0")).exists()).isFalse();
    }

    @Test
    void unbindWritesTheAddressToTheDriversUnbind() {
        new PciDevice(tree.host(), GPU).unbind("amdgpu", Duration.ofSeconds(5));
        assertThat(tree.content("/sys/bus/pci/drivers/amdgpu/unbind")).isEqualTo("0000:01:00.0");
        new PciDevice(tree.host(), GPU).bind("amdgpu", Duration.ofSeconds(5));
        assertThat(tree.content("/sys/bus/pci/drivers/amdgpu/bind")).isEqualTo("0000:01:00.0");
        new PciDevice(tree.host(), GPU).probe(Duration.ofSeconds(5));
        assertThat(tree.content("/sys/bus/pci/drivers_probe")).isEqualTo("0000:01:00.0");
    }

    @Test
    void aDriverNameCannotLeaveTheDriversDirectory() {
        assertThatThrownBy(() -> new PciDevice(tree.host(), GPU).unbind("../../../../etc", Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PciDevice(tree.host(), GPU).setDriverOverride("a/b")).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * A FIFO nobody reads makes the writer's open(2) wait without end, as a driver's remove
     * callback does in write(2). An uninterruptible sleep cannot be made from user space: what
     * is proven is that the wait happens in a child the hook leaves behind (told to stop), with
     * none of the hook's streams (libvirtd reads those until end of file) and no thread of ours
     * in it.
     */
    @Test
    void anUnbindThatDoesNotReturnIsLeftToAChildProcessAndReportedInTime() throws Exception {
        hangingTrigger("/sys/bus/pci/drivers/amdgpu/unbind");
        long start = System.nanoTime();
        Throwable thrown;
        thrown = catchThrowable(() -> new PciDevice(tree.host(), GPU).unbind("amdgpu", Duration.ofMillis(200)));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(thrown).isInstanceOf(KernelWriteTimeoutException.class)
                .hasMessageContaining("/sys/bus/pci/drivers/amdgpu/unbind").hasMessageContaining("did not return within 200 ms");
        long writer = ((KernelWriteTimeoutException) thrown).writerPid();
        assertThat(writer).isNotEqualTo(ProcessHandle.current().pid());
        assertThat(Thread.getAllStackTraces().entrySet()).as("no thread of the hook is left in the write")
                .noneMatch(t -> t.getKey() != Thread.currentThread() && java.util.Arrays.stream(t.getValue())
                        .anyMatch(f -> f.getClassName().startsWith("io.github.libvirthooks.sysfs.")));
        Optional<ProcessHandle> left = ProcessHandle.of(writer);
        if (left.isPresent()) {
            left.get().onExit().get(60, TimeUnit.SECONDS);
        }
        assertThat(ProcessHandle.of(writer)).as("told to stop, the writer ends as soon as the kernel lets it").isEmpty();
    }

    @Test
    void theWriterHasNoneOfTheHooksStreamsAndAWriteThatReturnsLateStillCounts() throws Exception {
        Path unbind = hangingTrigger("/sys/bus/pci/drivers/amdgpu/unbind");
        AtomicReference<List<String>> seen = new AtomicReference<>();
        Thread kernel = new Thread(() -> {
            while (seen.get() == null && !Thread.currentThread().isInterrupted()) {
                ProcessHandle.current().children().filter(c -> c.info().command().orElse("").endsWith("/tee")).findFirst()
                        .ifPresent(c -> seen.set(List.of(fd(c.pid(), 0), fd(c.pid(), 1), fd(c.pid(), 2))));
                LockSupport.parkNanos(10_000_000);
            }
            releaseWriter(unbind);
        });
        kernel.start();
        try {
            new PciDevice(tree.host(), GPU).unbind("amdgpu", Duration.ofSeconds(60));
        } finally {
            kernel.interrupt();
            kernel.join();
        }
        long self = ProcessHandle.current().pid();
        assertThat(seen.get()).as("the writer was seen while it waited").isNotNull();
        assertThat(seen.get().get(0)).startsWith("pipe:").isNotEqualTo(fd(self, 0));
        assertThat(seen.get().get(1)).isEqualTo("/dev/null");
        assertThat(seen.get().get(2)).startsWith("pipe:").isNotEqualTo(fd(self, 1)).isNotEqualTo(fd(self, 2));
    }

    @Test
    void aWriteTheKernelRefusesSaysWhy() throws IOException {
        // A directory where the trigger file should be: the writer cannot open it and says so.
        Files.delete(tree.local("/sys/bus/pci/drivers/amdgpu/unbind"));
        Files.createDirectory(tree.local("/sys/bus/pci/drivers/amdgpu/unbind"));
        assertThatThrownBy(() -> new PciDevice(tree.host(), GPU).unbind("amdgpu", Duration.ofSeconds(30)))
                .isInstanceOf(HostAccessException.class).isNotInstanceOf(KernelWriteTimeoutException.class)
                .hasMessageContaining("/sys/bus/pci/drivers/amdgpu/unbind").hasMessageContaining("Is a directory");
    }

    @Test
    void theWriterPutsTheWholeValueInTheFile() {
        new PciDevice(tree.host(), GPU).unbind("amdgpu", Duration.ofSeconds(30));
        assertThat(tree.host().read("/sys/bus/pci/drivers/amdgpu/unbind")).isEqualTo(GPU.text());
    }

    private Path hangingTrigger(String hostPath) throws IOException, InterruptedException {
        Path file = tree.local(hostPath);
        Files.delete(file);
        Process mkfifo = new ProcessBuilder("mkfifo", file.toString()).inheritIO().start();
        assertThat(mkfifo.waitFor()).isZero();
        return file;
    }

    /**
     * Opens the FIFO as reader and writer at once (never blocks on Linux), which lets a writer
     * still in its open(2) go on, and reads what it writes, as the kernel would take it.
     */
    private static void releaseWriter(Path fifo) {
        try (FileChannel kernel = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            kernel.read(java.nio.ByteBuffer.allocate(64));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String fd(long pid, int n) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + n)).toString();
        } catch (IOException e) {
            return "gone";
        }
    }

    @Test
    void aFailedWriteComesBackAsItsOwnError() {
        HostRoot refusing = tree.host().withListener(new HostWriteListener() {
            @Override
            public void beforeWrite(Change intended) {
            }

            @Override
            public void beforeTrigger(String path, String value) throws IOException {
                throw new IOException("No such device");
            }
        });
        assertThatThrownBy(() -> new PciDevice(refusing, GPU).unbind("amdgpu", Duration.ofSeconds(5)))
                .isInstanceOf(HostAccessException.class).isNotInstanceOf(KernelWriteTimeoutException.class)
                .hasMessageContaining("No such device");
    }

    @Test
    void driverOverrideIsUndoneByAnEmptyWrite() {
        Change set = new PciDevice(tree.host(), GPU).setDriverOverride("vfio-pci");
        assertThat(set.before()).isEmpty();
        assertThat(new PciDevice(tree.host(), GPU).driverOverride()).contains("vfio-pci");
        new PciDevice(tree.host(), GPU).clearDriverOverride();
        assertThat(tree.content(REAL + GPU + "/driver_override")).isEqualTo("\n");
    }

    @Test
    void hostileSysfsValuesAreRefusedOrIgnored() throws IOException {
        tree.file(REAL + GPU + "/class", "VGA; rm -rf /");
        assertThatThrownBy(() -> new PciDevice(tree.host(), GPU).pciClass()).isInstanceOf(HostAccessException.class)
                .hasMessageContaining("class");
        Files.delete(tree.local(REAL + GPU + "/driver"));
        Files.createSymbolicLink(tree.local(REAL + GPU + "/driver"), Path.of("../../bad name;"));
        assertThat(new PciDevice(tree.host(), GPU).driver()).isEmpty();
        tree.file(REAL + GPU + "/reset_method", "flr ../../x " + "a".repeat(100));
        assertThat(new PciDevice(tree.host(), GPU).resetMethods()).containsExactly("flr");
    }
}
