package io.github.libvirthooks.sysfs.kernel;

import java.util.Optional;

/** A flag of the {@code isolcpus=} boot parameter, as in {@code isolcpus=nohz,domain,managed_irq,2-5}. */
public enum IsolcpusFlag {
    /** {@code nohz}: stop the scheduler tick on the isolated CPUs when they run one task. */
    NOHZ("nohz"),
    /** {@code domain}: take the CPUs out of scheduler load balancing (the default without flags). */
    DOMAIN("domain"),
    /** {@code managed_irq}: keep managed interrupts off the CPUs where possible. */
    MANAGED_IRQ("managed_irq");

    private final String kernelName;

    IsolcpusFlag(String kernelName) {
        this.kernelName = kernelName;
    }

    /** The name on the kernel command line. */
    public String kernelName() {
        return kernelName;
    }

    /** The flag called {@code name} on the command line, if the kernel knows it. */
    public static Optional<IsolcpusFlag> fromKernelName(String name) {
        for (IsolcpusFlag flag : values()) {
            if (flag.kernelName.equals(name)) {
                return Optional.of(flag);
            }
        }
        return Optional.empty();
    }
}
