package io.github.libvirthooks.features.cfscpu;

import io.github.libvirthooks.features.domain.Domain;
import java.util.ArrayList;
import java.util.List;

/**
 * The schedulers libvirt itself gives the VM's threads ({@code <cputune><vcpusched>},
 * {@code <iothreadsched>}, {@code <emulatorsched>}) when QEMU starts, before cfscpu runs at
 * {@code started}: cfscpu leaves the threads libvirt schedules as libvirt set them, unless
 * {@code override-libvirt="true"}; then it replaces them on the threads it sets (the vCPUs, and
 * the IOThreads with {@code iothreads="true"}).
 */
final class LibvirtSchedulers {
    private LibvirtSchedulers() {
    }

    /** One line per scheduler the XML sets, saying whether cfscpu replaces it; none when the XML sets none. */
    static List<String> describe(Domain domain, CfscpuOptions options) {
        Domain.VcpuPlacement placement = domain.vcpuPlacement();
        List<String> lines = new ArrayList<>();
        for (Domain.ThreadSched sched : placement.vcpuScheds()) {
            lines.add("libvirt gives vCPUs " + sched.ids().orElseThrow() + " " + sched.describe() + " (<vcpusched>); "
                    + (options.overrideLibvirt() ? "cfscpu replaces it with " + options.describe() + " (override-libvirt=\"true\")"
                    : "cfscpu leaves them so (override-libvirt=\"true\" would replace it)"));
        }
        for (Domain.ThreadSched sched : placement.iothreadScheds()) {
            lines.add("libvirt gives IOThreads " + sched.ids().orElseThrow() + " " + sched.describe() + " (<iothreadsched>); "
                    + (!options.iothreads() ? "cfscpu leaves them so (iothreads=\"false\")"
                    : options.overrideLibvirt() ? "cfscpu replaces it with " + options.describe() + " (override-libvirt=\"true\")"
                    : "cfscpu leaves them so (override-libvirt=\"true\" would replace it)"));
        }
        placement.emulatorSched().ifPresent(sched -> lines.add("libvirt gives the emulator thread " + sched.describe()
                + " (<emulatorsched>); cfscpu leaves it so"));
        return lines;
    }

    /** True when the XML has libvirt schedule this thread itself ({@code <vcpusched vcpus>}, {@code <iothreadsched iothreads>}). */
    static boolean schedules(Domain domain, CfscpuFeature.Target target) {
        if (target.id() < 0) {
            return false;
        }
        List<Domain.ThreadSched> scheds = target.iothread() ? domain.vcpuPlacement().iothreadScheds()
                : domain.vcpuPlacement().vcpuScheds();
        return scheds.stream().anyMatch(s -> s.ids().map(ids -> ids.contains(target.id())).orElse(false));
    }
}
