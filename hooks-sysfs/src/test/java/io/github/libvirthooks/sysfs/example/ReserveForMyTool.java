package io.github.libvirthooks.sysfs.example;

// README-EXAMPLE-BEGIN
import io.github.libvirthooks.sysfs.Change;
import io.github.libvirthooks.sysfs.HostRoot;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import io.github.libvirthooks.sysfs.hugetlb.HugePagePool;
import io.github.libvirthooks.sysfs.hugetlb.HugePageReservation;
import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;
import io.github.libvirthooks.sysfs.hugetlb.HugePages;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

public class ReserveForMyTool {
    public static void main(String[] args) {
        // "/" on a real host; any directory laid out like it in a test.
        HostRoot host = args.length > 0 ? HostRoot.at(Path.of(args[0])) : HostRoot.system();

        HugePages hugePages = new HugePages(host);
        HugePagePool pool = HugePagePool.global(HugePageSize.parse("2M"));
        // Adds 16 pages on top of what is there; compacts memory and retries for up to 5 s if short.
        HugePageReservation taken = hugePages.reserveOrThrow(pool, 16, Duration.ofSeconds(5));
        System.out.println("added " + taken.granted() + " pages: " + taken.change());

        // Every write returns the Change that undoes it.
        CpuSet vmCpus = CpuSet.parseList("2-3");
        List<Change> done = List.of(host.write("/proc/irq/default_smp_affinity", CpuSet.of(0, 1).toMask(4)));
        System.out.println("kept IRQs off " + vmCpus + ": " + done);

        done.forEach(host::undo);
        hugePages.release(pool, taken.granted());
    }
}
// README-EXAMPLE-END
