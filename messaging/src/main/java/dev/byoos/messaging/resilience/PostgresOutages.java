package dev.byoos.messaging.resilience;

import java.io.IOException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLException;

import org.hibernate.JDBCException;
import org.hibernate.exception.JDBCConnectionException;

import io.vertx.core.VertxException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;

/**
 * Which failures of work on PostgreSQL are an outage (the same work succeeds unchanged once the
 * server is back, so it is waited out) and which are the work's own (permanent: retrying would
 * fail the same way for ever and hold its partition). One list for every service: each once kept
 * its own, and a case missing from one of them (a pooled connection whose session had ended)
 * failed a build for good in CI.
 *
 * <p>An outage, found anywhere in the cause chain:
 * <ul>
 *   <li>no connection: refused, reset or closed by the server ({@link SocketException},
 *       {@link ClosedChannelException}, an {@link IOException} the socket layer itself raised, a
 *       failed TLS handshake ({@link SSLException}),
 *       {@link ClosedConnectionException}, Hibernate's {@link JDBCConnectionException}), and a
 *       statement on a pooled connection whose socket closed before the pool noticed
 *       ({@value #CONNECTION_CLOSED});</li>
 *   <li>no connection in time: the pool's acquire timeout ({@value #POOL_TIMEOUT}), a pool whose
 *       wait queue is full, no answer within the caller's timeout (a {@link TimeoutException}, as
 *       Vert.x's is, or Mutiny's {@code await().atMost}, which is not one);</li>
 *   <li>a session the server ends (severity FATAL or PANIC: shutdown, a terminated backend, a
 *       login refused while connecting);</li>
 *   <li>the SQLSTATEs that say "not now": classes 08 connection exception, 53 insufficient
 *       resources, 57 operator intervention, 58 system error; 40001 serialization failure, 40P01
 *       deadlock, 55P03 lock not available; 55000 for a database not accepting connections.</li>
 * </ul>
 * Anything else is permanent: a constraint violation, a data error, a bug, and an IOException that
 * no socket raised (a JSON error is an IOException too, and the record's own fault).
 */
public final class PostgresOutages {

    /** Deep enough for Hibernate Reactive's and Mutiny's wrapping, bounded against cause loops. */
    private static final int MAX_DEPTH = 16;
    private static final Set<String> OUTAGE_CLASSES = Set.of("08", "53", "57", "58");
    private static final Set<String> RETRIED_STATES = Set.of("40001", "40P01", "55P03");
    private static final Set<String> SESSION_ENDING = Set.of("FATAL", "PANIC");
    /**
     * SQLSTATE 55000 is many things; with this message it is a database taken out of service
     * ({@code ALLOW_CONNECTIONS false}), back when the operator is done.
     */
    private static final String NOT_ACCEPTING_CONNECTIONS = "not currently accepting connections";
    /** The whole messages of the failures the pool's acquire timeout raises (Vert.x has no type for them). */
    private static final String POOL_TIMEOUT = "Timeout";
    private static final String POOL_QUERY_TIMEOUT = "Timeout waiting for connection";
    /**
     * How the reactive client fails a statement sent on a pooled connection whose socket has closed
     * (PostgreSQL ended the session) before the pool noticed: a bare {@link NoStackTraceThrowable}.
     */
    private static final String CONNECTION_CLOSED = "Connection is not active now";
    /**
     * How the pool fails an operation once it is being closed, as the service stops: the work is not
     * wrong, the process is going; another (or this one restarted) does it, so it is waited out and
     * never dead-lettered.
     */
    private static final String POOL_CLOSED = "Pool closed";
    private static final String JDK_SOCKETS = "sun.nio.ch.";
    private static final String NETTY_CHANNEL = "io.netty.channel.";

    private PostgresOutages() {
    }

    public static boolean isOutage(Throwable failure) {
        return outageCause(failure).isPresent();
    }

    /** The failure in {@code failure}'s cause chain that makes it an outage (the one worth telling), if any. */
    public static Optional<Throwable> outageCause(Throwable failure) {
        Throwable cause = failure;
        for (int depth = 0; cause != null && depth < MAX_DEPTH; depth++, cause = cause.getCause()) {
            if (isConnectionFailure(cause) || isNotNow(cause)) {
                return Optional.of(cause);
            }
        }
        return Optional.empty();
    }

    /** Whether PostgreSQL refused {@code failure}'s statement with SQLSTATE {@code state}, at any depth of wrapping. */
    public static boolean hasSqlState(Throwable failure, String state) {
        Throwable cause = failure;
        for (int depth = 0; cause != null && depth < MAX_DEPTH; depth++, cause = cause.getCause()) {
            if (state.equals(sqlStateOf(cause))) {
                return true;
            }
        }
        return false;
    }

    /** The SQLSTATE PostgreSQL (or JDBC, or Hibernate's wrapping) gave {@code failure} itself, or null. */
    private static String sqlStateOf(Throwable failure) {
        return failure instanceof DatabaseException database ? database.getSqlState()
                : failure instanceof SQLException sql ? sql.getSQLState()
                : failure instanceof JDBCException jdbc ? jdbc.getSQLState() : null;
    }

    private static boolean isConnectionFailure(Throwable failure) {
        return failure instanceof SocketException || failure instanceof ClosedChannelException
                || failure instanceof SSLException || isSocketFailure(failure)
                || failure instanceof ClosedConnectionException || failure instanceof JDBCConnectionException
                || failure instanceof ConnectionPoolTooBusyException || isPoolTimeout(failure)
                || failure instanceof TimeoutException || failure instanceof io.smallrye.mutiny.TimeoutException
                || failure instanceof NoStackTraceThrowable
                        && (String.valueOf(failure.getMessage()).startsWith(CONNECTION_CLOSED)
                                || POOL_CLOSED.equals(failure.getMessage()));
    }

    /**
     * No pool connection within the acquire timeout: a bare {@link NoStackTraceThrowable}
     * ({@value #POOL_TIMEOUT}), as {@link PoolAcquireTimeout} and Vert.x's own pool fail a
     * connection, transaction or (through {@link PoolAcquireTimeout}) one-off statement; a
     * {@link VertxException} ({@value #POOL_QUERY_TIMEOUT}) for a one-off statement on a pool
     * with Vert.x's own timer.
     */
    public static boolean isPoolTimeout(Throwable failure) {
        return failure instanceof NoStackTraceThrowable && POOL_TIMEOUT.equals(failure.getMessage())
                || failure instanceof VertxException && POOL_QUERY_TIMEOUT.equals(failure.getMessage());
    }

    private static boolean isNotNow(Throwable failure) {
        if (failure instanceof PgException pg && pg.getSeverity() != null && SESSION_ENDING.contains(pg.getSeverity())) {
            return true;
        }
        String state = sqlStateOf(failure);
        return state != null && state.length() == 5 && (OUTAGE_CLASSES.contains(state.substring(0, 2))
                || RETRIED_STATES.contains(state)
                || "55000".equals(state) && String.valueOf(failure.getMessage()).contains(NOT_ACCEPTING_CONNECTIONS));
    }

    /**
     * An IOException the socket layer itself raised, such as "Broken pipe" on a write to a connection
     * PostgreSQL has dropped: the JDK's NIO socket classes (Vert.x's default transport) or Netty's
     * native transports. Told apart by where it was thrown, not by its type.
     */
    private static boolean isSocketFailure(Throwable failure) {
        if (!(failure instanceof IOException)) {
            return false;
        }
        if (failure.getClass().getName().startsWith(NETTY_CHANNEL)) {
            return true;
        }
        StackTraceElement[] frames = failure.getStackTrace();
        return frames.length > 0 && (frames[0].getClassName().startsWith(JDK_SOCKETS)
                || frames[0].getClassName().startsWith(NETTY_CHANNEL));
    }
}
