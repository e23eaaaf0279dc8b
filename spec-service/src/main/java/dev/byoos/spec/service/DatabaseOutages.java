package dev.byoos.spec.service;

import java.io.IOException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.sql.SQLException;
import java.util.Set;

import org.hibernate.exception.JDBCConnectionException;

import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;

import dev.byoos.messaging.resilience.DependencyUnavailableException;

/**
 * Which database failures are an outage (the work succeeds unchanged once PostgreSQL is back) and
 * not the work's own fault: the server refusing or dropping connections (stopped, restarting, shut
 * down by an operator, out of connection slots) and no pool connection within
 * {@code byoos.spec.database.acquire-timeout}. The last one answers a REST request 503, but a
 * consumer must wait it out: the pool starves exactly when the server is slow or gone. Everything
 * else (a constraint violation, a record contradicting the build) is permanent.
 */
public final class DatabaseOutages {

    /** The name the waits, the logs and readiness give PostgreSQL. */
    public static final String DATABASE = "database";

    /** The whole message of the failure the pool's acquire timeout raises (Vert.x has no type for it). */
    private static final String POOL_TIMEOUT = "Timeout";
    /**
     * How the reactive client fails a statement sent on a pooled connection whose socket has closed
     * (PostgreSQL ended the session) before the pool noticed; also a bare {@code NoStackTraceThrowable}.
     */
    private static final String CONNECTION_CLOSED = "Connection is not active now";
    /**
     * SQLSTATEs of an outage outside class 08 (connection exception): admin_shutdown,
     * crash_shutdown, cannot_connect_now (starting up or shutting down), too_many_connections.
     */
    private static final Set<String> OUTAGE_STATES = Set.of("57P01", "57P02", "57P03", "53300");
    private static final String JDK_SOCKETS = "sun.nio.ch.";
    private static final String NETTY_CHANNEL = "io.netty.channel.";
    /** Deep enough for Hibernate Reactive's and Mutiny's wrapping, bounded against cause loops. */
    private static final int MAX_DEPTH = 16;

    private DatabaseOutages() {
    }

    public static boolean isOutage(Throwable failure) {
        Throwable cause = failure;
        for (int depth = 0; cause != null && depth < MAX_DEPTH; depth++, cause = cause.getCause()) {
            // The reactive pool hands the socket's own failure through unwrapped ("Connection reset" when
            // PostgreSQL is killed mid-statement); Hibernate wrapped it as a JDBCConnectionException.
            if (cause instanceof SocketException || cause instanceof ClosedChannelException
                    || isSocketFailure(cause) || cause instanceof ClosedConnectionException
                    || cause instanceof ConnectionPoolTooBusyException || cause instanceof JDBCConnectionException
                    || cause instanceof NoStackTraceThrowable && (POOL_TIMEOUT.equals(cause.getMessage())
                            || String.valueOf(cause.getMessage()).startsWith(CONNECTION_CLOSED))) {
                return true;
            }
            String state = sqlStateOf(cause);
            if (state != null && (state.startsWith("08") || OUTAGE_STATES.contains(state))) {
                return true;
            }
        }
        return false;
    }

    /**
     * An IOException the socket layer itself raised, such as "Broken pipe" on a write to a connection
     * PostgreSQL has dropped: the JDK's NIO socket classes (Vert.x's default transport) or Netty's
     * native transports. Told apart by where it was thrown, not by its type: the consumers' JSON
     * errors are IOExceptions too, and those are permanent.
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

    private static String sqlStateOf(Throwable failure) {
        return failure instanceof DatabaseException database ? database.getSqlState()
                : failure instanceof SQLException sql ? sql.getSQLState() : null;
    }

    /** {@code failure} as the transient failure DependencyWait waits out. */
    public static DependencyUnavailableException unavailable(Throwable failure) {
        return new DependencyUnavailableException(DATABASE, "PostgreSQL is unavailable: " + failure, failure);
    }
}
