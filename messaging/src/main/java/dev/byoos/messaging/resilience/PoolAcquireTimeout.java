package dev.byoos.messaging.resilience;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Query;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;

/**
 * A bound on the wait for a pooled PostgreSQL connection that never leases a connection to nobody.
 *
 * <p>vertx-sql-client 4.5's own connection timeout does: cancelling a waiter whose connection the
 * pool is still opening reports success, and that connection is then delivered to the request that
 * was already told "Timeout" and never given back. A burst of timeouts (overload, or a PostgreSQL
 * slow to accept connections) so left every connection of spec-service's pool leased until it
 * restarted. Here the pool itself waits without a timer, the caller that gave up is answered at
 * once, and the connection its request gets later is closed straight back into the pool. That
 * request keeps its place in the pool's wait queue (and counts against its maximum) until then.
 *
 * <p>Statements run on the pool without taking a connection ({@code pool.preparedQuery(...)}) are
 * run on a connection taken through the same timed wait: left to the pool, they would wait for one
 * with no timer at all.
 */
public final class PoolAcquireTimeout {

    private PoolAcquireTimeout() {
    }

    /** The wait for a connection that {@code options} ask of the pool, in milliseconds; 0 for none. */
    public static long requestedMillis(PoolOptions options) {
        return options.getConnectionTimeoutUnit().toMillis(options.getConnectionTimeout());
    }

    /**
     * A pool over {@code databases} with {@code options}, except that the wait for a connection is
     * bounded by {@code timeoutMillis} here rather than by the pool's own timer (off: 0).
     */
    public static PgPool create(Vertx vertx, List<PgConnectOptions> databases, PoolOptions options, long timeoutMillis) {
        // PgPool, not PgBuilder's Pool: Quarkus exposes the pool as a PgPool bean.
        return wrap(PgPool.pool(vertx, databases, new PoolOptions(options).setConnectionTimeout(0)), vertx,
                timeoutMillis);
    }

    /**
     * {@code pool}, with {@code getConnection} (and so every transaction and {@code withConnection},
     * which the pool's interface builds on it) failing as Vert.x's own timeout does, a bare
     * {@code NoStackTraceThrowable("Timeout")}, when no connection came within {@code timeoutMillis}.
     * The pool must have no timer of its own ({@link #create}).
     */
    static PgPool wrap(PgPool pool, Vertx vertx, long timeoutMillis) {
        InvocationHandler handler = new InvocationHandler() {
            @Override
            public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
                if (method.getDeclaringClass() == Object.class) {
                    return objectMethod(proxy, method, args, () -> "acquire-timeout(" + timeoutMillis + " ms) " + pool);
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
                if (method.getName().equals("query") || method.getName().equals("preparedQuery")) {
                    return onOwnConnection((PgPool) proxy, method, args, method.getReturnType(), List.of());
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

    /** The pool's {@code query}/{@code preparedQuery} methods, as SqlClient declares them for a connection. */
    private static final Map<Method, Method> SAME_ON_A_CONNECTION = new ConcurrentHashMap<>();
    /** A query's {@code execute…(…, callback)} methods, and the same without the callback, answering a Future. */
    private static final Map<Method, Method> FUTURE_VARIANT = new ConcurrentHashMap<>();

    /** equals, hashCode and toString of a proxy: identity, and {@code description}. */
    private static Object objectMethod(Object proxy, Method method, Object[] args, Supplier<String> description) {
        return switch (method.getName()) {
            case "equals" -> proxy == args[0];
            case "hashCode" -> System.identityHashCode(proxy);
            default -> description.get();
        };
    }

    private static Method lookUp(Class<?> type, String name, Class<?>[] parameterTypes) {
        try {
            return type.getMethod(name, parameterTypes);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(type.getName() + " has no " + name + Arrays.toString(parameterTypes), e);
        }
    }

    /** A call to replay on the query a connection makes: {@code mapping} or {@code collecting}. */
    private record Call(Method method, Object[] args) {
    }

    /**
     * A query of the pool's that runs on a connection of its own, taken through the timed
     * {@code getConnection}: run by the pool itself, it would wait for its connection on the pool's
     * queue with no timer at all. {@code opening} ({@code query} or {@code preparedQuery}) and then
     * {@code chain} are replayed on that connection when the query is executed.
     */
    private static Object onOwnConnection(PgPool timed, Method opening, Object[] openingArgs, Class<?> type,
            List<Call> chain) {
        Method onConnection = SAME_ON_A_CONNECTION.computeIfAbsent(opening,
                poolMethod -> lookUp(SqlClient.class, poolMethod.getName(), poolMethod.getParameterTypes()));
        return Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] { type }, (proxy, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return objectMethod(proxy, method, args, () -> "query on its own connection: " + Arrays.toString(openingArgs));
            }
            if (Query.class.isAssignableFrom(method.getReturnType())) {
                List<Call> longer = new ArrayList<>(chain);
                longer.add(new Call(method, args));
                return onOwnConnection(timed, opening, openingArgs, method.getReturnType(), longer);
            }
            // execute or executeBatch, returning a Future or answering a callback (its last argument).
            Method run = method;
            Object[] runArgs = args;
            Handler<AsyncResult<Object>> callback = null;
            if (method.getReturnType() == void.class) {
                run = FUTURE_VARIANT.computeIfAbsent(method, withCallback -> lookUp(withCallback.getDeclaringClass(),
                        withCallback.getName(), Arrays.copyOf(withCallback.getParameterTypes(),
                                withCallback.getParameterCount() - 1)));
                runArgs = Arrays.copyOf(args, args.length - 1);
                @SuppressWarnings("unchecked")
                Handler<AsyncResult<Object>> given = (Handler<AsyncResult<Object>>) args[args.length - 1];
                callback = given;
            }
            Method terminal = run;
            Object[] terminalArgs = runArgs;
            Future<Object> result = timed.withConnection(connection -> {
                try {
                    Object query = onConnection.invoke(connection, openingArgs);
                    for (Call call : chain) {
                        query = call.method().invoke(query, call.args());
                    }
                    @SuppressWarnings("unchecked")
                    Future<Object> executed = (Future<Object>) terminal.invoke(query, terminalArgs);
                    return executed;
                } catch (InvocationTargetException e) {
                    return Future.failedFuture(e.getCause());
                } catch (ReflectiveOperationException e) {
                    return Future.failedFuture(e);
                }
            });
            if (callback != null) {
                result.onComplete(callback);
                return null;
            }
            return result;
        });
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
