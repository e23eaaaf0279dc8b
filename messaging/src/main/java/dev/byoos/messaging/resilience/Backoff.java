package dev.byoos.messaging.resilience;

import java.time.Duration;
import java.util.Objects;

/** Capped exponential backoff: {@code initial × 2^(attempt-1)}, never more than {@code max}. */
public record Backoff(Duration initial, Duration max) {

    public Backoff {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.isNegative() || max.isNegative()) {
            throw new IllegalArgumentException("backoff durations must not be negative: " + initial + ", " + max);
        }
    }

    /** The pause after failed attempt {@code attempt} (1-based). */
    public Duration delay(int attempt) {
        int doublings = Math.min(Math.max(attempt - 1, 0), 30);
        Duration wait = initial.multipliedBy(1L << doublings);
        return wait.compareTo(max) > 0 || wait.isNegative() ? max : wait;
    }
}
