package io.github.libvirthooks.sysfs.cgroup;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code cpuset.cpus.partition} reads back: the partition type asked for and whether
 * the kernel could honour it. An invalid partition reads {@code root invalid} or, since
 * Linux 6.1, {@code root invalid (Cpu list in cpuset.cpus not exclusive)}; the reason in
 * parentheses is kept as the kernel wrote it, empty when the kernel gave none.
 *
 * @param partition the type that was set
 * @param valid     false when the kernel reports the partition invalid (it then acts as
 *                  a member until the cause goes away)
 * @param reason    the kernel's reason for an invalid partition; empty when valid or when
 *                  the kernel gave no reason
 */
public record CpusetPartitionState(CpusetPartition partition, boolean valid, String reason) {
    private static final Pattern INVALID = Pattern.compile("(root|isolated) invalid(?: \\((.*)\\))?");

    /**
     * Validates the combination: a valid partition has no reason, and only {@code root} and
     * {@code isolated} partitions can be invalid, never {@code member}.
     */
    public CpusetPartitionState {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(reason, "reason");
        if (valid && !reason.isEmpty()) {
            throw new IllegalArgumentException("a valid partition has no reason, got '" + reason + "'");
        }
        if (!valid && partition == CpusetPartition.MEMBER) {
            throw new IllegalArgumentException("a member partition cannot be invalid");
        }
    }

    /** A partition the kernel accepted. */
    public static CpusetPartitionState valid(CpusetPartition partition) {
        return new CpusetPartitionState(partition, true, "");
    }

    /** A partition the kernel reports invalid, for {@code reason} (may be empty). */
    public static CpusetPartitionState invalid(CpusetPartition partition, String reason) {
        return new CpusetPartitionState(partition, false, reason);
    }

    /**
     * Parses the read-back of {@code cpuset.cpus.partition}: {@code member}, {@code root},
     * {@code isolated}, or one of the last two followed by {@code invalid} and an optional
     * reason in parentheses.
     *
     * @throws IllegalArgumentException for any other text
     */
    public static CpusetPartitionState parse(String text) {
        Objects.requireNonNull(text, "text");
        String trimmed = text.strip();
        var plain = CpusetPartition.fromKernelName(trimmed);
        if (plain.isPresent()) {
            return valid(plain.get());
        }
        Matcher m = INVALID.matcher(trimmed);
        if (m.matches()) {
            CpusetPartition partition = CpusetPartition.fromKernelName(m.group(1)).orElseThrow();
            return invalid(partition, m.group(2) == null ? "" : m.group(2));
        }
        String shown = trimmed.length() <= 80 ? trimmed : trimmed.substring(0, 77) + "...";
        throw new IllegalArgumentException("invalid cpuset partition state '" + shown
                + "': expected member, root, isolated, or 'root invalid (reason)' / 'isolated invalid (reason)'");
    }

    /** Exactly what the kernel prints: {@code root}, {@code root invalid (reason)}. */
    @Override
    public String toString() {
        if (valid) {
            return partition.kernelName();
        }
        return partition.kernelName() + " invalid" + (reason.isEmpty() ? "" : " (" + reason + ")");
    }
}
