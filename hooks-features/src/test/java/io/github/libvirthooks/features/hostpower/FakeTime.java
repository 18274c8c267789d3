package io.github.libvirthooks.features.hostpower;

import io.github.libvirthooks.sysfs.hugetlb.Sleeper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock that moves only when someone sleeps on it (or a fake command takes time): waits run in no real time. */
final class FakeTime extends Clock implements Sleeper {
    static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private Instant now = START;

    @Override
    public void sleep(Duration duration) {
        if (duration.isNegative() || duration.isZero()) {
            throw new AssertionError("a wait of " + duration + " would spin");
        }
        now = now.plus(duration);
    }

    void advance(Duration d) {
        now = now.plus(d);
    }

    Duration elapsed() {
        return Duration.between(START, now);
    }

    @Override
    public Instant instant() {
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
