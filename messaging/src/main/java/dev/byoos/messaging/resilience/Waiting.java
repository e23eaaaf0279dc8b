package dev.byoos.messaging.resilience;

import java.time.Duration;

/**
 * One pause of a {@link DependencyWait}: attempt {@code attempt} failed because of {@code failure};
 * the next one starts in {@code nextAttemptIn}.
 *
 * @param dependency what is waited for ({@link DependencyUnavailableException#dependency()}), or
 *        {@code null} when a bounded retry repeats a failure that is no outage
 */
public record Waiting(String dependency, int attempt, Throwable failure, Duration nextAttemptIn) {
}
