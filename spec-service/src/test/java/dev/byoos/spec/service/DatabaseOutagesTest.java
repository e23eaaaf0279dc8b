package dev.byoos.spec.service;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;

import org.junit.jupiter.api.Test;

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
    }

    @Test
    void aStatementTheServerRefusedIsNot() {
        assertFalse(DatabaseOutages.isOutage(new PgException("duplicate key value violates unique constraint",
                "ERROR", Transactions.UNIQUE_VIOLATION, null)));
        assertFalse(DatabaseOutages.isOutage(new IllegalStateException("a bug")));
    }
}
