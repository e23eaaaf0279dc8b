package dev.byoos.spec.config;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.inject.Singleton;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;

/**
 * The reactive PostgreSQL pool as Quarkus configures it, plus the two limits Quarkus has no setting
 * for: how long an operation waits for a connection, and how many may wait. Unbounded (the Vert.x
 * defaults: 30 s, no limit), an overloaded service piles up requests until each fails with a 500.
 *
 * <p>The wait for a connection is bounded here, not by the pool's own connection timeout: in
 * vertx-sql-client 4.5 a connection handed to a waiter whose timeout has just fired is never given
 * back (most often one the pool opened for that waiter while it grew), so a burst of timeouts left
 * every connection leased to nobody and the service without a database until it restarted
 * ({@code PoolRecoveryAfterOverloadTest}). Here a caller that gave up is answered at once, and
 * the connection the pool hands its request later is closed straight back into the pool. Statements
 * run on the pool without a connection ({@code pool.preparedQuery(...)}) wait in the same bounded
 * queue with no timer of their own; no waiter is dropped by the pool, so none leaks. A caller that
 * gave up keeps its place in that queue until a connection reaches it and goes straight back, so
 * {@code max-waiting} counts it until then.
 */
@Singleton
public class DatabasePool implements PgPoolCreator {

    private final SpecServiceConfig.Database config;

    public DatabasePool(SpecServiceConfig config) {
        this.config = config.database();
    }

    @Override
    public Pool create(Input input) {
        PoolOptions options = new PoolOptions(input.poolOptions())
                // No timer in the pool (0): the acquire timeout is the wrapper's (see above).
                .setConnectionTimeout(0)
                .setMaxWaitQueueSize(config.maxWaiting());
        // PgPool, not PgBuilder's Pool: Quarkus exposes the pool as a PgPool bean.
        return withAcquireTimeout(PgPool.pool(input.vertx(), input.pgConnectOptionsList(), options), input.vertx(),
                config.acquireTimeout().toMillis());
    }

    /**
     * {@code pool}, with {@code getConnection} (and so every transaction and {@code withConnection},
     * which the pool's interface builds on it) failing as Vert.x's own timeout does, a bare
     * {@code NoStackTraceThrowable("Timeout")}, when no connection came within {@code timeoutMillis}.
     */
    static PgPool withAcquireTimeout(PgPool pool, Vertx vertx, long timeoutMillis) {
        InvocationHandler handler = new InvocationHandler() {
            @Override
            public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
                switch (method.getName()) {
                    case "equals":
                        return args != null && args.length == 1 && proxy == args[0];
                    case "hashCode":
                        return System.identityHashCode(proxy);
                    case "toString":
                        return "acquire-timeout(" + timeoutMillis + " ms) " + pool;
                    default:
                        break;
                }
                if (method.getName().equals("getConnection")) {
                    Future<SqlConnection> connection = acquire(pool, vertx, timeoutMillis);
                    if (args == null || args.length == 0) {
                        return connection;
                    }
                    @SuppressWarnings("unchecked")
                    Handler<AsyncResult<SqlConnection>> callback = (Handler<AsyncResult<SqlConnection>>) args[0];
                    if (callback != null) {
                        connection.onComplete(callback);
                    }
                    return null;
                }
                if (method.isDefault()) {
                    // withTransaction, withConnection: built on getConnection, which must be this one.
                    return InvocationHandler.invokeDefault(proxy, method, args);
                }
                try {
                    Object result = method.invoke(pool, args);
                    return result == pool ? proxy : result;
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }
        };
        return (PgPool) Proxy.newProxyInstance(PgPool.class.getClassLoader(), new Class<?>[] { PgPool.class }, handler);
    }

    static Future<SqlConnection> acquire(PgPool pool, Vertx vertx, long timeoutMillis) {
        if (timeoutMillis <= 0) {
            // No timeout configured: wait as long as the pool makes it (a Vert.x timer needs at least 1 ms).
            return pool.getConnection();
        }
        // Answered on the caller's context, as the pool's own getConnection is (Hibernate Reactive checks it).
        Promise<SqlConnection> answer = ((ContextInternal) vertx.getOrCreateContext()).promise();
        AtomicBoolean answered = new AtomicBoolean();
        long timer = vertx.setTimer(timeoutMillis, fired -> {
            if (answered.compareAndSet(false, true)) {
                answer.fail("Timeout");
            }
        });
        pool.getConnection().onComplete(connection -> {
            if (answered.compareAndSet(false, true)) {
                vertx.cancelTimer(timer);
                answer.handle(connection);
            } else if (connection.succeeded()) {
                // The caller gave up waiting: the connection goes straight back to the pool.
                connection.result().close();
            }
        });
        return answer.future();
    }
}
