package dev.byoos.spec.config;

import jakarta.inject.Singleton;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

import dev.byoos.messaging.resilience.PoolAcquireTimeout;

/**
 * The reactive PostgreSQL pool as Quarkus configures it, plus the two limits Quarkus has no setting
 * for: how long an operation waits for a connection, and how many may wait. Unbounded (the Vert.x
 * defaults: 30 s, no limit), an overloaded service piles up requests until each fails with a 500.
 *
 * <p>The wait is bounded by {@link PoolAcquireTimeout}, not by the pool's own connection timeout,
 * which leased connections to nobody under overload ({@code PoolRecoveryAfterOverloadTest}). A
 * caller that gave up keeps its place in the pool's queue until a connection reaches it and goes
 * straight back, so {@code max-waiting} counts it until then.
 */
@Singleton
public class DatabasePool implements PgPoolCreator {

    private final SpecServiceConfig.Database config;

    public DatabasePool(SpecServiceConfig config) {
        this.config = config.database();
    }

    @Override
    public Pool create(Input input) {
        PoolOptions options = new PoolOptions(input.poolOptions()).setMaxWaitQueueSize(config.maxWaiting());
        return PoolAcquireTimeout.create(input.vertx(), input.pgConnectOptionsList(), options,
                config.acquireTimeout().toMillis());
    }
}
