package dev.byoos.pack.repository;

import java.sql.SQLException;
import java.util.Optional;

import org.hibernate.JDBCException;
import org.hibernate.exception.ConstraintViolationException;

import io.vertx.pgclient.PgException;

import dev.byoos.contract.BuildFailed;
import dev.byoos.messaging.resilience.PostgresOutages;
import dev.byoos.pack.render.UnpublishablePackException;

/**
 * Tells a database failure of the pack catalog that waiting can cure from one it cannot.
 *
 * <p>Waited out ({@link PackCatalog.CatalogUnavailableException}): an outage on
 * {@link PostgresOutages}' list, the same in every service (no connection or none in time, a
 * session the server ended, the SQLSTATEs that say "not now"), and no answer within the catalog's
 * timeout.
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
    private static final int MAX_DEPTH = 16;

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
        if (PostgresOutages.isOutage(failure)) {
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
