package dev.byoos.spec.service;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.JsonParseException;

import io.vertx.pgclient.PgException;

class DatabaseOutagesTest {

    @Test
    void aConnectionTheServerDroppedMidStatementIsAnOutage() {
        // As the reactive pool reports PostgreSQL killed while a statement runs: the socket's own failure, wrapped once.
        assertTrue(DatabaseOutages.isOutage(new IllegalStateException(new SocketException("Connection reset"))));
        assertTrue(DatabaseOutages.isOutage(new ConnectException("Connection refused")));
        assertTrue(DatabaseOutages.isOutage(new ClosedChannelException()));
        assertTrue(DatabaseOutages.isOutage(new PgException("terminating connection due to administrator command",
                "FATAL", "57P01", null)));
        // A pooled connection whose session PostgreSQL ended, used before the pool noticed.
        assertTrue(DatabaseOutages.isOutage(new java.util.concurrent.CompletionException(
                new io.vertx.core.impl.NoStackTraceThrowable("Connection is not active now, current status: CLOSED"))));
        assertFalse(DatabaseOutages.isOutage(new io.vertx.core.impl.NoStackTraceThrowable("something else")));
    }

    @Test
    void aWriteToAConnectionThePeerClosedIsAnOutage() throws IOException, InterruptedException {
        IOException brokenPipe = writeAfterThePeerClosed();
        assertFalse(brokenPipe instanceof SocketException, "a plain IOException from the socket layer: " + brokenPipe);
        assertTrue(DatabaseOutages.isOutage(new IllegalStateException(brokenPipe)), brokenPipe.toString());
    }

    @Test
    void anIOExceptionOfTheRecordItselfIsNot() {
        // A consumer's JSON errors are IOExceptions too: the record is wrong, waiting would never end.
        assertFalse(DatabaseOutages.isOutage(new JsonParseException(null, "Unexpected character ('n')")));
        assertFalse(DatabaseOutages.isOutage(new IOException("Broken pipe")), "thrown here, not by a socket");
    }

    @Test
    void aStatementTheServerRefusedIsNot() {
        assertFalse(DatabaseOutages.isOutage(new PgException("duplicate key value violates unique constraint",
                "ERROR", Transactions.UNIQUE_VIOLATION, null)));
        assertFalse(DatabaseOutages.isOutage(new IllegalStateException("a bug")));
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
