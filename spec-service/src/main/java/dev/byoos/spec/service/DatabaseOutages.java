package dev.byoos.spec.service;

import dev.byoos.messaging.resilience.DependencyUnavailableException;
import dev.byoos.messaging.resilience.PostgresOutages;

/**
 * spec-service's side of database outages: the name it gives PostgreSQL, and the failure its
 * consumers wait out. Which failures are an outage is {@link PostgresOutages}' list, the same in
 * every service; among them no pool connection within {@code byoos.spec.database.acquire-timeout},
 * which answers a REST request 503, but which a consumer must wait out: the pool starves exactly when
 * the server is slow or gone.
 */
public final class DatabaseOutages {

    /** The name the waits, the logs and readiness give PostgreSQL. */
    public static final String DATABASE = "database";

    private DatabaseOutages() {
    }

    /** {@code failure} as the transient failure DependencyWait waits out. */
    public static DependencyUnavailableException unavailable(Throwable failure) {
        return new DependencyUnavailableException(DATABASE, "PostgreSQL is unavailable: " + failure, failure);
    }
}
