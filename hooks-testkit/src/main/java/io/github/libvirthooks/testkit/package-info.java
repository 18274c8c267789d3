/**
 * Test doubles for code built on {@code hooks-sysfs} and for Java features of libvirt-hooks,
 * so that their tests never touch the machine they run on:
 * <ul>
 * <li>{@link io.github.libvirthooks.testkit.FakeHost}: a host tree in a test directory, built
 * fluently (CPUs and SMT siblings, NUMA nodes, {@code /proc/meminfo}, a cgroup v2 hierarchy
 * with cpuset files, hugepage pools per size and node, workqueues, interrupts, sysctls,
 * systemd, QEMU processes and libvirt's machine scopes), whose {@code HostRoot} can answer
 * writes the way the kernel would;</li>
 * <li>{@link io.github.libvirthooks.testkit.SimulatedHugePages}: the kernel's hugepage
 * accounting (grants, shortfalls, compaction, pages in use), also used by the sandboxed
 * {@code libvirt-hooks demo};</li>
 * <li>{@link io.github.libvirthooks.testkit.FakeClock}: a clock and sleeper that move only when
 * waited on, so retries and timeouts take no real time.</li>
 * </ul>
 * Plain Java, no framework; depends on {@code hooks-sysfs} only. Use it at test scope.
 */
package io.github.libvirthooks.testkit;
