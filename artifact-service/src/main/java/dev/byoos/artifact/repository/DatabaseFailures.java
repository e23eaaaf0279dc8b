package dev.byoos.artifact.repository;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;

import dev.byoos.messaging.resilience.DependencyUnavailableException;

/**
 * Sorts what Hibernate Reactive and the Vert.x PostgreSQL client fail with: an outage (the server
 * refuses connections, is shutting down or starting up, ended the session, the database accepts no
 * connections for now, or the pool found no connection in time) becomes a {@link DatabaseUnavailableException}, which every
 * {@code DependencyWait} waits out; anything else (a constraint violation, a data error) is
 * permanent and passed on unchanged.
 */
public final class DatabaseFailures {

    /** Deep enough for Hibernate's and Mutiny's wrapping, bounded against cause loops. */
    private static final int MAX_DEPTH = 16;
    /**
     * SQLSTATE classes and codes that say "not now" rather than "never": connection exceptions (08),
     * insufficient resources (53, e.g. too many connections), operator intervention (57: admin or
     * crash shutdown, cannot connect now), and serialization failures or deadlocks (40001, 40P01),
     * which the same statements pass on a retry.
     */
    private static final Set<String> TRANSIENT_CLASSES = Set.of("08", "53", "57");
    private static final Set<String> TRANSIENT_CODES = Set.of("40001", "40P01");
    /**
     * SQLSTATE 55000 is many things; at connect time with this message it is a database taken out
     * of service for maintenance ({@code ALLOW_CONNECTIONS false}), back when the operator is done.
     */
    private static final String NOT_ACCEPTING_CONNECTIONS = "not currently accepting connections";
    /** How the reactive client fails a statement on a pooled connection whose socket has closed. */
    private static final String CONNECTION_CLOSED = "Connection is not active now";

    private DatabaseFailures() {
    }

    /** {@code failure} as an outage when it is one, else {@code failure} itself. */
    public static Throwable classify(Throwable failure) {
        if (failure instanceof DependencyUnavailableException) {
            return failure;
        }
        Throwable current = failure;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
            if (isOutage(current)) {
                return new DatabaseUnavailableException(current);
            }
            current = current.getCause();
        }
        return failure;
    }

    private static boolean isOutage(Throwable failure) {
        if (failure instanceof DatabaseException database) {
            String state = database.getSqlState();
            return state != null && state.length() == 5
                    && (TRANSIENT_CLASSES.contains(state.substring(0, 2)) || TRANSIENT_CODES.contains(state)
                            || "55000".equals(state) && String.valueOf(database.getMessage())
                                    .contains(NOT_ACCEPTING_CONNECTIONS));
        }
        // Connection refused or reset (java.net.ConnectException is an IOException), a connection the
        // server closed (also as a pooled connection used before the pool noticed its socket closed),
        // and the pool's "Timeout" when no connection could be had in time.
        return failure instanceof IOException || failure instanceof ClosedConnectionException
                || failure instanceof TimeoutException
                || failure instanceof io.vertx.core.impl.NoStackTraceTimeoutException
                || failure instanceof io.vertx.core.impl.NoStackTraceThrowable
                        && String.valueOf(failure.getMessage()).startsWith(CONNECTION_CLOSED);
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
