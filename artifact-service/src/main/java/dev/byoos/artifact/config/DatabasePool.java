package dev.byoos.artifact.config;

import jakarta.inject.Singleton;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.sqlclient.Pool;

import dev.byoos.messaging.resilience.PoolAcquireTimeout;

/**
 * The reactive PostgreSQL pool exactly as Quarkus configures it (its wait for a connection is
 * Vert.x's default, 30 s), with that wait bounded by {@link PoolAcquireTimeout} instead of the
 * pool's own timer, which can lease a connection to a request that already gave up and never get
 * it back: a PostgreSQL slow to accept connections would otherwise leave the pool empty for good.
 */
@Singleton
public class DatabasePool implements PgPoolCreator {

    @Override
    public Pool create(Input input) {
        return PoolAcquireTimeout.create(input.vertx(), input.pgConnectOptionsList(), input.poolOptions(),
                PoolAcquireTimeout.requestedMillis(input.poolOptions()));
    }
}
