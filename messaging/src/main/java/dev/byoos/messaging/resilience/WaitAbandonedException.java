package dev.byoos.messaging.resilience;

/**
 * A {@link DependencyWait} was told to stop while it paused: the work was neither done nor failed,
 * so the caller leaves its message unacknowledged (or its build cancelled) rather than reporting a
 * failure.
 */
public class WaitAbandonedException extends RuntimeException {

    public WaitAbandonedException(Throwable lastFailure) {
        super("stopped waiting: " + lastFailure.getMessage(), lastFailure);
    }
}
