package dev.byoos.pack.registry;

import java.time.Duration;
import java.util.Optional;

import dev.byoos.messaging.resilience.DependencyUnavailableException;

/**
 * The registry cannot be used right now: unreachable, or answering 5xx, 408 or 429. Waiting can
 * change that, so the publisher waits for the {@value #DEPENDENCY} rather than failing the build,
 * at least as long as the registry's {@code Retry-After} asked.
 */
public class RegistryUnavailableException extends DependencyUnavailableException {

    /** What a build waits for while the registry is unavailable ({@code build.progress} waitingFor). */
    public static final String DEPENDENCY = "registry";

    private final Duration retryAfter;

    public RegistryUnavailableException(String message) {
        this(message, (Duration) null);
    }

    public RegistryUnavailableException(String message, Throwable cause) {
        super(DEPENDENCY, message, cause);
        this.retryAfter = null;
    }

    /** @param retryAfter how long the registry asked to be left alone (its {@code Retry-After}), null when it did not say */
    public RegistryUnavailableException(String message, Duration retryAfter) {
        super(DEPENDENCY, message);
        this.retryAfter = retryAfter;
    }

    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
