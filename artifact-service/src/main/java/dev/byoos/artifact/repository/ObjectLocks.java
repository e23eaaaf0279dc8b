package dev.byoos.artifact.repository;

import java.util.Collection;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Transaction-scoped PostgreSQL advisory locks on stored objects' keys. Retention deletes an object
 * only while holding its key's lock and seeing no artifact that points at it; an artifact that
 * reuses an object is recorded only while holding the same lock and seeing the object still there.
 * One of the two goes first, and the other sees what it did.
 */
public final class ObjectLocks {

    /**
     * All of a transaction's keys in one round trip, locked in the array's order (unnest yields its
     * elements in order, one lock each). {@code pg_advisory_xact_lock} returns void: counting its rows
     * gives Hibernate a type to read.
     */
    private static final String LOCK = "select count(*) from (select pg_advisory_xact_lock(hashtextextended(key, 0)) "
            + "from unnest(cast(?1 as text[])) as key) locked";

    /** {@link #LOCK} for the reactive pool's placeholders. */
    private static final String LOCK_ON_POOL = LOCK.replace("?1", "$1");

    private ObjectLocks() {
    }

    /**
     * Locks every key until the current transaction ends, in one order for every caller (no deadlock
     * between two that lock several). Must run inside a transaction.
     */
    public static Uni<Void> lock(Collection<String> keys) {
        return Panache.getSession()
                .flatMap(session -> session.createNativeQuery(LOCK, Long.class).setParameter(1, ordered(keys))
                        .getSingleResult())
                .replaceWithVoid();
    }

    /**
     * {@link #lock(Collection)} on a connection of the reactive pool, whose transaction must be open:
     * the locks are the same (advisory locks are the database's, whichever client took them).
     */
    public static Uni<Void> lock(SqlConnection connection, Collection<String> keys) {
        return connection.preparedQuery(LOCK_ON_POOL).execute(Tuple.tuple().addArrayOfString(ordered(keys)))
                .replaceWithVoid();
    }

    /** One order for every caller: no deadlock between two that lock several keys. */
    private static String[] ordered(Collection<String> keys) {
        return keys.stream().distinct().sorted().toArray(String[]::new);
    }

    /** How many artifacts point at {@code key} (as image, SBOM or log). */
    public static Uni<Long> references(String key) {
        return ArtifactEntity.count("objectKey = ?1 or sbomKey = ?1 or logKey = ?1", key);
    }
}
