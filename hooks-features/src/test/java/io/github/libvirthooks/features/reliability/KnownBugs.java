package io.github.libvirthooks.features.reliability;

import java.util.List;

/**
 * Host differences the suites found whose fix belongs outside this package. Each has a
 * {@code @Disabled} test in {@link KnownBugsTest} that fails until it is fixed; the suites count
 * these cases separately ({@code known-bugs=N} in their figure line) instead of as diffs. Once a
 * fix lands, delete its predicate here and enable its test.
 */
final class KnownBugs {
    private KnownBugs() {
    }

    /**
     * {@code IsolcpuFeature.undoClaim} treats a failed {@code -cpuset} write to
     * {@code cgroup.subtree_control} as a warning and drops the claim, so {@code restore} never
     * retries it: the cpuset controller stays enabled in the root cgroup.
     */
    static boolean subtreeControlLeftEnabled(String where, List<String> diff) {
        return where.startsWith("release fails at") && where.contains("cgroup.subtree_control = -cpuset")
                && diff.size() == 1 && diff.get(0).startsWith("changed sys/fs/cgroup/cgroup.subtree_control:");
    }

    /**
     * {@code HugepagesFeature}: a hook killed between recording its claim ({@code added} = the
     * pages it is about to ask for) and updating it, or after giving the pages back but before the
     * journal dropped the claim, leaves a claim that {@code undoClaim} can never clear: fewer pages
     * are free than the claim says, so it throws "only 0 of the 32 pages ... are free" on every
     * release and restore. The host is back, but the journal stays, and its {@code needed} keeps
     * counting as a pending claim for every later VM.
     */
    static boolean hugepagesClaimNeverCleared(List<String> diff, io.github.libvirthooks.features.state.VmJournal left) {
        return diff.isEmpty() && !left.isEmpty() && left.entries().stream().allMatch(e -> e.feature().equals("hugepages")
                && e.kind() == io.github.libvirthooks.features.state.JournalEntry.Kind.CLAIM);
    }

    /** {@code JournalFormat.dec}: a damaged percent-encoded field is reported without the journal file's name. */
    static boolean journalFieldErrorLacksTheFile(String message) {
        return message.startsWith("damaged journal field '");
    }

    /**
     * {@code CpuSet.invalidList}/{@code invalidMask} quote the raw text, newlines and all, so a
     * garbage sysfs file or XML attribute gives a message on several lines (the hook itself
     * flattens its stderr line, a library user does not).
     */
    static boolean cpuSetQuotesRawText(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (java.util.Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getClassName().endsWith(".cpu.CpuSet"))) {
                return true;
            }
        }
        String message = String.valueOf(e.getMessage());
        return message.contains("invalid cpu list '") || message.contains("invalid cpu mask '");
    }
}
