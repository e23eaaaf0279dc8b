package dev.byoos.pack.repository;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.concurrent.CompletionException;

import org.junit.jupiter.api.Test;

import io.vertx.core.impl.NoStackTraceThrowable;

import dev.byoos.pack.render.UnpublishablePackException;

class CatalogFailuresTest {

    @Test
    void aPooledConnectionWhoseSessionPostgresEndedIsAnOutageToWaitOut() {
        // What the reactive client answers when the pool hands out a connection whose backend was terminated.
        Throwable closed = new CompletionException(
                new NoStackTraceThrowable("Connection is not active now, current status: CLOSED"));

        assertInstanceOf(PackCatalog.CatalogUnavailableException.class, CatalogFailures.classify("claiming x", closed));
    }

    @Test
    void anyOtherBareVertxFailureIsNot() {
        Throwable other = new CompletionException(new NoStackTraceThrowable("column \"x\" does not exist"));

        assertInstanceOf(UnpublishablePackException.class, CatalogFailures.classify("claiming x", other));
    }
}
