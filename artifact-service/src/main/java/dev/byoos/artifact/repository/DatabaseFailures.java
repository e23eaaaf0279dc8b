package dev.byoos.artifact.repository;

import dev.byoos.messaging.resilience.DependencyUnavailableException;
import dev.byoos.messaging.resilience.PostgresOutages;

/**
 * Sorts what Hibernate Reactive and the Vert.x PostgreSQL client fail with: an outage
 * ({@link PostgresOutages}' list, the same in every service) becomes a
 * {@link DatabaseUnavailableException}, which every {@code DependencyWait} waits out; anything else
 * (a constraint violation, a data error) is permanent and passed on unchanged, and so is a failure
 * that already names the dependency it waits for (S3's).
 */
public final class DatabaseFailures {

    private DatabaseFailures() {
    }

    /** {@code failure} as an outage when it is one, else {@code failure} itself. */
    public static Throwable classify(Throwable failure) {
        if (failure instanceof DependencyUnavailableException) {
            return failure;
        }
        // The cause that is the outage says what happened ("Connection refused"); its wrappers do not.
        return PostgresOutages.outageCause(failure).<Throwable>map(DatabaseUnavailableException::new).orElse(failure);
    }

    /** PostgreSQL cannot be reached or answered "not now": retrying later succeeds. */
    public static class DatabaseUnavailableException extends DependencyUnavailableException {

        /** What work waits for while PostgreSQL is unavailable ({@code build.progress} waitingFor). */
        public static final String DEPENDENCY = "database";

        public DatabaseUnavailableException(Throwable cause) {
            super(DEPENDENCY, "the database is unavailable: " + cause.getMessage(), cause);
        }
    }
}
