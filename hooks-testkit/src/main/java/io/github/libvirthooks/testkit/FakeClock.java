package io.github.libvirthooks.testkit;

import io.github.libvirthooks.sysfs.hugetlb.Sleeper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * A clock that moves only when someone sleeps on it or a test {@linkplain #advance advances}
 * it (a fake command that takes time, say): retries and timeouts run in no real time, and a
 * test can say how long the code under test waited. Hand the same instance to code as its
 * {@link Clock} and its {@link Sleeper}. A sleep of zero or less fails the test: a wait loop
 * that does not move the clock would spin forever.
 */
public final class FakeClock extends Clock implements Sleeper {
    /** Where every fake clock starts: 2026-01-01T00:00:00Z. */
    public static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    private Instant now = START;
    private final List<Duration> sleeps = new ArrayList<>();

    @Override
    public synchronized void sleep(Duration duration) {
        if (duration.isNegative() || duration.isZero()) {
            throw new AssertionError("a wait of " + duration + " would spin");
        }
        sleeps.add(duration);
        now = now.plus(duration);
    }

    /** Moves the clock without a sleep, as time spent doing something. */
    public synchronized FakeClock advance(Duration duration) {
        now = now.plus(duration);
        return this;
    }

    /** Every sleep so far, in order. */
    public synchronized List<Duration> sleeps() {
        return List.copyOf(sleeps);
    }

    /** How far the clock has moved since {@link #START}, by sleeps and advances. */
    public synchronized Duration elapsed() {
        return Duration.between(START, now);
    }

    @Override
    public synchronized Instant instant() {
        return now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
