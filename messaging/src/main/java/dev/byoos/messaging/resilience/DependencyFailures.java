package dev.byoos.messaging.resilience;

import java.util.Optional;

/**
 * The one place that decides whether a failure is transient: it is when a
 * {@link DependencyUnavailableException} is the failure or one of its causes, and permanent
 * otherwise.
 */
public final class DependencyFailures {

    /** Deep enough for any wrapping seen in practice, bounded against cause loops. */
    private static final int MAX_DEPTH = 16;

    private DependencyFailures() {
    }

    /** The outage behind {@code failure}, if any. */
    public static Optional<DependencyUnavailableException> unavailable(Throwable failure) {
        Throwable current = failure;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
            if (current instanceof DependencyUnavailableException outage) {
                return Optional.of(outage);
            }
            current = current.getCause();
        }
        return Optional.empty();
    }

    public static boolean isTransient(Throwable failure) {
        return unavailable(failure).isPresent();
    }
}
