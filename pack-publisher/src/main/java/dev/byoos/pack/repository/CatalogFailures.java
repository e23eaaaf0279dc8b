package dev.byoos.pack.repository;

import java.io.IOException;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import org.hibernate.JDBCException;
import org.hibernate.exception.ConstraintViolationException;

import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;

import dev.byoos.contract.BuildFailed;
import dev.byoos.pack.render.UnpublishablePackException;

/**
 * Tells a database failure of the pack catalog that waiting can cure from one it cannot.
 *
 * <p>Waited out ({@link PackCatalog.CatalogUnavailableException}): no connection (refused, closed,
 * also a pooled connection used before the pool noticed its socket closed, pool exhausted or its acquisition timed out, no answer within the catalog's timeout), a session
 * the server ended (severity FATAL or PANIC: shutdown, a terminated backend, a database not
 * accepting connections or a login refused while connecting), and the SQLSTATE classes that say
 * "not now": 08 connection exception, 53 insufficient resources, 57 operator intervention, 58
 * system error, 40001 serialization failure, 40P01 deadlock, 55P03 lock not available.
 *
 * <p>Everything else fails the build at once ({@value #CATALOG_REFUSED}): a data exception
 * (SQLSTATE class 22, e.g. a NUL character in a text column) is the event's content, category
 * {@code spec}; an integrity violation other than the duplicate the caller expects, or any other
 * error, is the factory's, category {@code builder}. Retrying either would fail the same way for
 * ever and hold the partition.
 */
final class CatalogFailures {

    /** The catalog's database refused the build's record for good. */
    static final String CATALOG_REFUSED = "PACK_CATALOG_REFUSED";
    private static final String UNIQUE_VIOLATION = "23505";
    private static final Set<String> TRANSIENT_CLASSES = Set.of("08", "53", "57", "58");
    private static final Set<String> TRANSIENT_STATES = Set.of("40001", "40P01", "55P03");
    private static final Set<String> SESSION_ENDING = Set.of("FATAL", "PANIC");
    private static final int MAX_DEPTH = 16;
    /**
     * How the reactive client fails a statement sent on a pooled connection whose socket has closed
     * (PostgreSQL ended the session) before the pool noticed: a bare {@code NoStackTraceThrowable}.
     */
    private static final String CONNECTION_CLOSED = "Connection is not active now";

    /** What the database said, as far as the failure carries it. */
    record SqlError(String sqlState, String severity, String constraint, String message) {
    }

    private CatalogFailures() {
    }

    /** @return whether {@code failure} is the unique violation of {@code constraint} (an expected duplicate) */
    static boolean isDuplicate(Throwable failure, String constraint) {
        return sqlError(failure).filter(error -> UNIQUE_VIOLATION.equals(error.sqlState())
                && (error.constraint() == null ? error.message() != null && error.message().contains(constraint)
                        : constraint.equals(error.constraint())))
                .isPresent();
    }

    /**
     * @param what what the catalog was doing, for the message ("recording byoos/…:1.0.0")
     * @return the exception to throw: an outage to wait out, or the build's permanent failure
     */
    static RuntimeException classify(String what, Throwable failure) {
        if (isTransient(failure)) {
            return new PackCatalog.CatalogUnavailableException(what + " in the pack catalog failed: " + failure, failure);
        }
        Optional<SqlError> error = sqlError(failure);
        boolean dataError = error.map(SqlError::sqlState).filter(state -> state.startsWith("22")).isPresent();
        String said = error.map(e -> "SQLSTATE " + e.sqlState() + (e.constraint() == null ? "" : ", constraint "
                + e.constraint()) + ": " + e.message()).orElse(String.valueOf(failure));
        return new UnpublishablePackException(CATALOG_REFUSED, dataError ? BuildFailed.SPEC : BuildFailed.BUILDER, false,
                "the pack catalog's database refused " + what + " (" + said + ")"
                        + (dataError ? "; the build's metadata cannot be stored as it is: fix the spec" : "")
                        + "; nothing was pushed for it");
    }

    static boolean isTransient(Throwable failure) {
        Optional<SqlError> error = sqlError(failure);
        if (error.isPresent() && error.get().sqlState() != null) {
            String state = error.get().sqlState();
            String severity = error.get().severity();
            return (severity != null && SESSION_ENDING.contains(severity)) || TRANSIENT_STATES.contains(state)
                    || (state.length() == 5 && TRANSIENT_CLASSES.contains(state.substring(0, 2)));
        }
        Throwable current = failure;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
            if (current instanceof IOException || current instanceof TimeoutException
                    || current instanceof ClosedConnectionException || current instanceof ConnectionPoolTooBusyException
                    || current instanceof NoStackTraceThrowable
                            && String.valueOf(current.getMessage()).startsWith(CONNECTION_CLOSED)) {
                return true;
            }
            current = current.getCause();
        }
        return false;
    }

    /** The first SQL error in the cause chain: PostgreSQL's own (with severity and constraint), or JDBC's wrapping of it. */
    static Optional<SqlError> sqlError(Throwable failure) {
        SqlError found = null;
        Throwable current = failure;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
            if (current instanceof PgException pg) {
                return Optional.of(new SqlError(pg.getSqlState(), pg.getSeverity(), pg.getConstraint(), pg.getErrorMessage()));
            }
            if (found == null && current instanceof SQLException sql && sql.getSQLState() != null) {
                found = new SqlError(sql.getSQLState(), null, null, sql.getMessage());
            } else if (found == null && current instanceof JDBCException jdbc && jdbc.getSQLState() != null) {
                found = new SqlError(jdbc.getSQLState(), null, jdbc instanceof ConstraintViolationException violation
                        ? violation.getConstraintName() : null, jdbc.getMessage());
            }
            current = current.getCause();
        }
        return Optional.ofNullable(found);
    }
}
