package io.github.libvirthooks.sysfs.hugetlb;

import java.time.Duration;

/**
 * Waits between attempts. Injected together with a {@link java.time.Clock} so that tests can
 * advance a fake clock instead of sleeping.
 */
@FunctionalInterface
public interface Sleeper {
    /** Waits for {@code duration}. */
    void sleep(Duration duration) throws InterruptedException;

    /** Sleeps the current thread for real. */
    Sleeper SYSTEM = new Sleeper() {
        // A class, not a lambda: this constant is made in every hook process, where a lambda costs a call-site bootstrap.
        @Override
        public void sleep(Duration duration) throws InterruptedException {
            Thread.sleep(duration.toMillis());
        }
    };
}
