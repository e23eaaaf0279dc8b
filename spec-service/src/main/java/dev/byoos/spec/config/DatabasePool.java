package dev.byoos.spec.config;

import java.util.concurrent.TimeUnit;

import jakarta.inject.Singleton;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

/**
 * The reactive PostgreSQL pool as Quarkus configures it, plus the two limits Quarkus has no setting
 * for: how long an operation waits for a connection, and how many may wait. Unbounded (the Vert.x
 * defaults: 30 s, no limit), an overloaded service piles up requests until each fails with a 500.
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
                .setConnectionTimeout(Math.toIntExact(config.acquireTimeout().toMillis()))
                .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS)
                .setMaxWaitQueueSize(config.maxWaiting());
        // PgPool, not PgBuilder's Pool: Quarkus exposes the pool as a PgPool bean.
        return PgPool.pool(input.vertx(), input.pgConnectOptionsList(), options);
    }
}
