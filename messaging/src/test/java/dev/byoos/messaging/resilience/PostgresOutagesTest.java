package dev.byoos.messaging.resilience;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.sql.SQLException;
import java.time.Duration;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLHandshakeException;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.JsonParseException;

import org.hibernate.exception.JDBCConnectionException;

import io.smallrye.mutiny.Uni;
import io.vertx.core.VertxException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;

/** The one list of database outages every service waits out; everything else is permanent. */
class PostgresOutagesTest {

    @Test
    void aConnectionTheServerDroppedMidStatementIsAnOutage() {
        // As the reactive pool reports PostgreSQL killed while a statement runs: the socket's own failure, wrapped once.
        assertTrue(PostgresOutages.isOutage(new IllegalStateException(new SocketException("Connection reset"))));
        assertTrue(PostgresOutages.isOutage(new ConnectException("Connection refused")));
        assertTrue(PostgresOutages.isOutage(new ClosedChannelException()));
        assertTrue(PostgresOutages.isOutage(new PgException("terminating connection due to administrator command",
                "FATAL", "57P01", null)));
        // A pooled connection whose session PostgreSQL ended, used before the pool noticed.
        assertTrue(PostgresOutages.isOutage(new java.util.concurrent.CompletionException(
                new io.vertx.core.impl.NoStackTraceThrowable("Connection is not active now, current status: CLOSED"))));
        assertFalse(PostgresOutages.isOutage(new io.vertx.core.impl.NoStackTraceThrowable("something else")));
    }

    @Test
    void aPoolClosedAsItsServiceStopsIsAnOutageNotPoison() {
        // Vert.x's pool fails every operation with this once it is closed: a consumer that dead-lettered
        // the record it was handling while its service stopped would lose that record's effect.
        assertTrue(PostgresOutages.isOutage(new CompletionException(new NoStackTraceThrowable("Pool closed"))));
        assertFalse(PostgresOutages.isOutage(new NoStackTraceThrowable("Pool closed for renovation")));
    }

    @Test
    void aWriteToAConnectionThePeerClosedIsAnOutage() throws IOException, InterruptedException {
        IOException brokenPipe = writeAfterThePeerClosed();
        assertFalse(brokenPipe instanceof SocketException, "a plain IOException from the socket layer: " + brokenPipe);
        assertTrue(PostgresOutages.isOutage(new IllegalStateException(brokenPipe)), brokenPipe.toString());
    }

    @Test
    void anIOExceptionOfTheRecordItselfIsNot() {
        // A consumer's JSON errors are IOExceptions too: the record is wrong, waiting would never end.
        assertFalse(PostgresOutages.isOutage(new JsonParseException(null, "Unexpected character ('n')")));
        assertFalse(PostgresOutages.isOutage(new IOException("Broken pipe")), "thrown here, not by a socket");
    }

    @Test
    void aStatementTheServerRefusedIsNot() {
        assertFalse(PostgresOutages.isOutage(new PgException("duplicate key value violates unique constraint",
                "ERROR", "23505", null)));
        assertFalse(PostgresOutages.isOutage(new IllegalStateException("a bug")));
    }

    @Test
    void noConnectionOrNoAnswerInTimeIsAnOutage() {
        assertTrue(PostgresOutages.isOutage(new CompletionException(new NoStackTraceThrowable("Timeout"))),
                "the pool's acquire timeout for a connection or a transaction");
        assertTrue(PostgresOutages.isOutage(new VertxException("Timeout waiting for connection")),
                "the pool's acquire timeout for a one-off statement");
        assertTrue(PostgresOutages.isPoolTimeout(new VertxException("Timeout waiting for connection")));
        assertFalse(PostgresOutages.isOutage(new VertxException("Timeout of something else")));
        assertTrue(PostgresOutages.isOutage(new ConnectionPoolTooBusyException("too many waiters")));
        assertTrue(PostgresOutages.isOutage(new TimeoutException("no answer within 30 s")));
        assertTrue(PostgresOutages.isOutage(ClosedConnectionException.INSTANCE));
        assertTrue(PostgresOutages.isOutage(new SSLHandshakeException("Remote host terminated the handshake")));
        // What a caller's await().atMost(...) fails with: Mutiny's own type, no java.util.concurrent one.
        RuntimeException noAnswer = assertThrows(RuntimeException.class,
                () -> Uni.createFrom().nothing().await().atMost(Duration.ofMillis(10)));
        assertTrue(PostgresOutages.isOutage(noAnswer), noAnswer.toString());
    }

    @Test
    void theOutageIsToldByTheCauseThatIsOneNotByItsWrappers() {
        SocketException reset = new SocketException("Connection reset");
        assertSame(reset, PostgresOutages.outageCause(new IllegalStateException("HR000057", reset)).orElseThrow());
        assertTrue(PostgresOutages.outageCause(new IllegalStateException("a bug")).isEmpty());
    }

    @Test
    void aSessionTheServerEndsOrANotNowStateIsAnOutageWhateverWrapsIt() {
        assertTrue(PostgresOutages.isOutage(new PgException("password authentication failed", "FATAL", "28P01", null)),
                "a login refused: fixed by the operator, not by the record");
        assertTrue(PostgresOutages.isOutage(new PgException("could not serialize access", "ERROR", "40001", null)));
        assertTrue(PostgresOutages.isOutage(new PgException("deadlock detected", "ERROR", "40P01", null)));
        assertTrue(PostgresOutages.isOutage(new PgException("could not obtain lock", "ERROR", "55P03", null)));
        assertTrue(PostgresOutages.isOutage(new PgException("could not write block", "ERROR", "58030", null)));
        assertTrue(PostgresOutages.isOutage(new PgException("could not extend file: No space left on device", "ERROR",
                "53100", null)));
        assertTrue(PostgresOutages.isOutage(new PgException("database \"x\" is not currently accepting connections",
                "ERROR", "55000", null)));
        assertFalse(PostgresOutages.isOutage(new PgException("cannot drop the currently open database", "ERROR",
                "55000", null)), "55000 is many things");
        // JDBC's and Hibernate's wrapping carry the state or the kind.
        assertTrue(PostgresOutages.isOutage(new RuntimeException(new SQLTransientConnectionException("gone", "08006"))));
        assertTrue(PostgresOutages.isOutage(new JDBCConnectionException("could not connect", new SQLException("x"))));
        assertFalse(PostgresOutages.isOutage(new SQLException("value too long", "22001")));
    }

    /** The real failure: writes to a connection whose peer has gone end in EPIPE ("Broken pipe") after a reset. */
    private static IOException writeAfterThePeerClosed() throws IOException, InterruptedException {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
                SocketChannel client = SocketChannel.open(server.getLocalAddress())) {
            server.accept().close();
            ByteBuffer bytes = ByteBuffer.allocate(64 * 1024);
            for (int attempt = 0; attempt < 200; attempt++) {
                try {
                    bytes.clear();
                    client.write(bytes);
                } catch (IOException e) {
                    if (!(e instanceof SocketException)) {
                        return e;
                    }
                }
                Thread.sleep(5);
            }
        }
        throw new AssertionError("writing to a closed connection never failed with a plain IOException");
    }
}
