package io.github.libvirthooks.features.cfscpu;

import io.github.libvirthooks.features.domain.Domain;
import java.util.ArrayList;
import java.util.List;

/**
 * The schedulers libvirt itself gives the VM's threads ({@code <cputune><vcpusched>},
 * {@code <iothreadsched>}, {@code <emulatorsched>}) when QEMU starts, before cfscpu runs at
 * {@code started}: cfscpu replaces them on the threads it sets (the vCPUs, and the IOThreads
 * with {@code iothreads="true"}) and leaves the others as libvirt set them.
 */
final class LibvirtSchedulers {
    private LibvirtSchedulers() {
    }

    /** One line per scheduler the XML sets, saying whether cfscpu replaces it; none when the XML sets none. */
    static List<String> describe(Domain domain, CfscpuOptions options) {
        Domain.VcpuPlacement placement = domain.vcpuPlacement();
        List<String> lines = new ArrayList<>();
        for (Domain.ThreadSched sched : placement.vcpuScheds()) {
            lines.add("libvirt gives vCPUs " + sched.ids().orElseThrow() + " " + sched.describe() + " (<vcpusched>); cfscpu replaces it"
                    + " with " + options.describe());
        }
        for (Domain.ThreadSched sched : placement.iothreadScheds()) {
            lines.add("libvirt gives IOThreads " + sched.ids().orElseThrow() + " " + sched.describe() + " (<iothreadsched>); "
                    + (options.iothreads() ? "cfscpu replaces it with " + options.describe() : "cfscpu leaves them so (iothreads=\"false\")"));
        }
        placement.emulatorSched().ifPresent(sched -> lines.add("libvirt gives the emulator thread " + sched.describe()
                + " (<emulatorsched>); cfscpu leaves it so"));
        return lines;
    }
}
