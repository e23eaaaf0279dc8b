package dev.byoos.artifact.repository;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.concurrent.CompletionException;

import org.junit.jupiter.api.Test;

import io.vertx.core.impl.NoStackTraceThrowable;

class DatabaseFailuresTest {

    @Test
    void aPooledConnectionWhoseSessionPostgresEndedIsAnOutage() {
        // What the reactive client answers when the pool hands out a connection whose backend was terminated.
        Throwable closed = new CompletionException(
                new NoStackTraceThrowable("Connection is not active now, current status: CLOSED"));

        assertInstanceOf(DatabaseFailures.DatabaseUnavailableException.class, DatabaseFailures.classify(closed));
    }

    @Test
    void anyOtherBareVertxFailureIsNot() {
        Throwable other = new CompletionException(new NoStackTraceThrowable("column \"x\" does not exist"));

        assertSame(other, DatabaseFailures.classify(other));
    }
}
