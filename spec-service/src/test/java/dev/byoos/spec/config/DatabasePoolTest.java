package dev.byoos.spec.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.SqlConnection;

/**
 * The acquire timeout {@link DatabasePool} puts in front of the pool, against a pool whose answers
 * the test times: exactly one answer per request, and a connection that comes after its caller
 * gave up goes straight back.
 */
class DatabasePoolTest {

    private final Vertx vertx = Vertx.vertx();
    /** The pool's answer to the one getConnection the wrapper sends it. */
    private final Promise<SqlConnection> poolAnswer = Promise.promise();
    private final AtomicInteger asked = new AtomicInteger();
    private final PgPool pool = (PgPool) Proxy.newProxyInstance(PgPool.class.getClassLoader(),
            new Class<?>[] { PgPool.class }, (proxy, method, args) -> {
                if (method.getName().equals("getConnection") && (args == null || args.length == 0)) {
                    asked.incrementAndGet();
                    return poolAnswer.future();
                }
                throw new UnsupportedOperationException(method.getName());
            });
    private final AtomicInteger closed = new AtomicInteger();
    private final SqlConnection connection = (SqlConnection) Proxy.newProxyInstance(
            SqlConnection.class.getClassLoader(), new Class<?>[] { SqlConnection.class }, (proxy, method, args) -> {
                if (method.getName().equals("close") && (args == null || args.length == 0)) {
                    closed.incrementAndGet();
                    return Future.succeededFuture();
                }
                throw new UnsupportedOperationException(method.getName());
            });

    @AfterEach
    void closeVertx() {
        vertx.close();
    }

    @Test
    void aConnectionThatComesAfterTheTimeoutGoesStraightBackAndTheCallerIsToldTimeoutOnce() throws Exception {
        CompletableFuture<Object> answer = answers(DatabasePool.acquire(pool, vertx, 50));
        Throwable timeout = assertInstanceOf(Throwable.class, answer.get(5, TimeUnit.SECONDS));
        assertInstanceOf(NoStackTraceThrowable.class, timeout, "as Vert.x's own timeout fails: mapped to 503");
        assertEquals("Timeout", timeout.getMessage());

        poolAnswer.complete(connection);

        assertEquals(1, closed.get(), "the late connection is given back");
        assertEquals(1, asked.get());
    }

    @Test
    void aConnectionInTimeIsTheAnswerAndTheTimerNeverFires() throws Exception {
        Future<SqlConnection> acquired = DatabasePool.acquire(pool, vertx, 200);
        poolAnswer.complete(connection);

        assertSame(connection, answers(acquired).get(5, TimeUnit.SECONDS));
        Thread.sleep(400);
        assertEquals(0, closed.get(), "the caller's connection is the caller's to close");
        assertTrue(acquired.succeeded());
    }

    @Test
    void aPoolThatRefusesAtOnceIsAnsweredAsItRefused() throws Exception {
        ConnectionPoolTooBusyException busy = new ConnectionPoolTooBusyException("Connection pool reached max wait queue size of 256");
        Future<SqlConnection> acquired = DatabasePool.acquire(pool, vertx, 200);
        poolAnswer.fail(busy);

        assertSame(busy, answers(acquired).get(5, TimeUnit.SECONDS));
        Thread.sleep(400);
        assertSame(busy, acquired.cause(), "not overwritten by the timer");
    }

    @Test
    void noTimeoutWaitsForThePool() throws Exception {
        Future<SqlConnection> acquired = DatabasePool.acquire(pool, vertx, 0);
        Thread.sleep(200);
        assertFalse(acquired.isComplete(), "no timer of 0 ms, which Vert.x refuses");
        poolAnswer.complete(connection);
        assertSame(connection, answers(acquired).get(5, TimeUnit.SECONDS));
    }

    @Test
    void theWrappedPoolIsEqualOnlyToItself() {
        PgPool wrapped = DatabasePool.withAcquireTimeout(pool, vertx, 100);
        assertTrue(wrapped.equals(wrapped));
        assertFalse(wrapped.equals(pool));
        assertEquals(System.identityHashCode(wrapped), wrapped.hashCode());
    }

    /** The connection or the failure, whichever the future ends with. */
    private static CompletableFuture<Object> answers(Future<SqlConnection> future) {
        CompletableFuture<Object> answer = new CompletableFuture<>();
        future.onComplete(result -> answer.complete(result.succeeded() ? result.result() : result.cause()));
        return answer;
    }
}
