package dev.byoos.messaging.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
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
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.PreparedQuery;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

/**
 * The acquire timeout {@link PoolAcquireTimeout} puts in front of the pool, against a pool whose answers
 * the test times: exactly one answer per request, and a connection that comes after its caller
 * gave up goes straight back.
 */
class PoolAcquireTimeoutTest {

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
    /** What the wrapped pool's one-off statements did on {@link #connection}. */
    private final List<String> ranOnTheConnection = new CopyOnWriteArrayList<>();
    private final SqlConnection connection = (SqlConnection) Proxy.newProxyInstance(
            SqlConnection.class.getClassLoader(), new Class<?>[] { SqlConnection.class }, (proxy, method, args) -> {
                if (method.getName().equals("close") && (args == null || args.length == 0)) {
                    closed.incrementAndGet();
                    return Future.succeededFuture();
                }
                if (method.getName().equals("preparedQuery") && args.length == 1) {
                    this.ranOnTheConnection.add("preparedQuery " + args[0]);
                    return query(PreparedQuery.class);
                }
                throw new UnsupportedOperationException(method.getName());
            });

    @AfterEach
    void closeVertx() {
        vertx.close();
    }

    @Test
    void aConnectionThatComesAfterTheTimeoutGoesStraightBackAndTheCallerIsToldTimeoutOnce() throws Exception {
        CompletableFuture<Object> answer = answers(PoolAcquireTimeout.acquire(pool, vertx, 50));
        Throwable timeout = assertInstanceOf(Throwable.class, answer.get(5, TimeUnit.SECONDS));
        assertInstanceOf(NoStackTraceThrowable.class, timeout, "as Vert.x's own timeout fails: mapped to 503");
        assertEquals("Timeout", timeout.getMessage());

        poolAnswer.complete(connection);

        assertEquals(1, closed.get(), "the late connection is given back");
        assertEquals(1, asked.get());
    }

    @Test
    void aConnectionInTimeIsTheAnswerAndTheTimerNeverFires() throws Exception {
        Future<SqlConnection> acquired = PoolAcquireTimeout.acquire(pool, vertx, 200);
        poolAnswer.complete(connection);

        assertSame(connection, answers(acquired).get(5, TimeUnit.SECONDS));
        Thread.sleep(400);
        assertEquals(0, closed.get(), "the caller's connection is the caller's to close");
        assertTrue(acquired.succeeded());
    }

    @Test
    void aPoolThatRefusesAtOnceIsAnsweredAsItRefused() throws Exception {
        ConnectionPoolTooBusyException busy = new ConnectionPoolTooBusyException("Connection pool reached max wait queue size of 256");
        Future<SqlConnection> acquired = PoolAcquireTimeout.acquire(pool, vertx, 200);
        poolAnswer.fail(busy);

        assertSame(busy, answers(acquired).get(5, TimeUnit.SECONDS));
        Thread.sleep(400);
        assertSame(busy, acquired.cause(), "not overwritten by the timer");
    }

    @Test
    void noTimeoutWaitsForThePool() throws Exception {
        Future<SqlConnection> acquired = PoolAcquireTimeout.acquire(pool, vertx, 0);
        Thread.sleep(200);
        assertFalse(acquired.isComplete(), "no timer of 0 ms, which Vert.x refuses");
        poolAnswer.complete(connection);
        assertSame(connection, answers(acquired).get(5, TimeUnit.SECONDS));
    }

    @Test
    void theWrappedPoolIsEqualOnlyToItself() {
        PgPool wrapped = PoolAcquireTimeout.wrap(pool, vertx, 100);
        assertTrue(wrapped.equals(wrapped));
        assertFalse(wrapped.equals(pool));
        assertEquals(System.identityHashCode(wrapped), wrapped.hashCode());
    }

    @Test
    void theWaitAskedOfThePoolIsReadInMillisecondsAndVertxsDefaultIsThirtySeconds() {
        assertEquals(30_000, PoolAcquireTimeout.requestedMillis(new PoolOptions()));
        assertEquals(1_500, PoolAcquireTimeout.requestedMillis(
                new PoolOptions().setConnectionTimeout(1_500).setConnectionTimeoutUnit(TimeUnit.MILLISECONDS)));
    }

    @Test
    void aOneOffStatementRunsOnAConnectionTakenThroughTheTimedWait() throws Exception {
        PgPool wrapped = PoolAcquireTimeout.wrap(pool, vertx, 200);
        Future<?> rows = wrapped.preparedQuery("select $1").mapping(row -> row).execute(Tuple.of(7));
        poolAnswer.complete(connection);

        assertEquals("rows", answers(rows).get(5, TimeUnit.SECONDS));
        assertEquals(List.of("preparedQuery select $1", "mapping", "execute [7]"), ranOnTheConnection);
        assertEquals(1, asked.get(), "its connection came through getConnection");
        assertEquals(1, closed.get(), "and went back after the statement");
    }

    @Test
    void aOneOffStatementWithACallbackIsAnsweredThroughIt() throws Exception {
        CompletableFuture<Object> answer = new CompletableFuture<>();
        PoolAcquireTimeout.wrap(pool, vertx, 200).preparedQuery("select 1")
                .execute(Tuple.tuple(), result -> answer.complete(result.succeeded() ? result.result() : result.cause()));
        poolAnswer.complete(connection);

        assertEquals("rows", answer.get(5, TimeUnit.SECONDS));
        assertEquals(List.of("preparedQuery select 1", "execute []"), ranOnTheConnection);
    }

    @Test
    void aOneOffStatementWithNoConnectionInTimeFailsAsTimeoutAndNeverRuns() throws Exception {
        Future<?> rows = PoolAcquireTimeout.wrap(pool, vertx, 50).preparedQuery("select 1").execute(Tuple.tuple());
        Object failure = answers(rows).get(5, TimeUnit.SECONDS);
        assertInstanceOf(NoStackTraceThrowable.class, failure);
        assertEquals("Timeout", ((Throwable) failure).getMessage());

        poolAnswer.complete(connection);
        assertEquals(List.of(), ranOnTheConnection);
        assertEquals(1, closed.get(), "the late connection is given back");
    }

    /** A stub query: its mapping records itself, its execution answers "rows". */
    @SuppressWarnings("unchecked")
    private <Q> Q query(Class<Q> type) {
        return (Q) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] { type }, (proxy, method, args) -> {
            if (method.getName().equals("mapping")) {
                ranOnTheConnection.add("mapping");
                return proxy;
            }
            if (method.getName().equals("execute") && method.getReturnType() == Future.class) {
                ranOnTheConnection.add("execute " + (args == null ? "" : ((Tuple) args[0]).deepToString()));
                return Future.succeededFuture("rows");
            }
            throw new UnsupportedOperationException(method.getName());
        });
    }

    /** The connection or the failure, whichever the future ends with. */
    private static CompletableFuture<Object> answers(Future<?> future) {
        CompletableFuture<Object> answer = new CompletableFuture<>();
        future.onComplete(result -> answer.complete(result.succeeded() ? result.result() : result.cause()));
        return answer;
    }
}
