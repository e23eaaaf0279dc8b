package dev.byoos.spec.service;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.byoos.spec.config.SpecServiceConfig;

/**
 * Deletes rows whose work is done once they are older than {@code byoos.spec.retention.*}:
 * published outbox records (Kafka acknowledged them; consumers deduplicate by event id, not by
 * this table), Idempotency-Keys, and notification deliveries that were delivered or gave up (with
 * their attempt logs; a pending one is never deleted, and redelivering a purged one is no longer
 * possible). Every replica schedules a run, but each batch first takes a
 * transaction-scoped PostgreSQL advisory lock without waiting: while one replica purges, the others
 * skip their run instead of racing it. Small batches keep each transaction short, so intake and
 * the relay never wait behind a purge. Unsent and set-aside outbox records are never deleted.
 */
@ApplicationScoped
public class RowRetention {

    private static final Logger LOG = Logger.getLogger(RowRetention.class);
    /** The advisory lock's key: any constant no other lock of this database uses ("byoospur"). */
    static final long PURGE_LOCK = 0x62796f6f73707572L;
    /** A batch that found the lock taken: another replica purges now. */
    private static final int LOCKED = -1;

    private static final String OUTBOX = """
            delete from outbox where id in (
                select id from outbox where published_at < $1 limit $2)""";
    private static final String IDEMPOTENCY_KEYS = """
            delete from idempotency_key where (team, key) in (
                select team, key from idempotency_key where created_at < $1 limit $2)""";

    private static final String FINISHED_DELIVERIES = """
            delete from notification_delivery where id in (
                select id from notification_delivery where state <> 'PENDING' and created_at < $1 limit $2)""";

    /** What a run deleted. */
    public record Purged(long outboxRecords, long idempotencyKeys, long deliveries) {
    }

    private final Pool pool;
    private final SpecServiceConfig.Retention config;

    public RowRetention(Pool pool, SpecServiceConfig config) {
        this.pool = pool;
        this.config = config.retention();
    }

    @Scheduled(every = "${byoos.spec.retention.interval}", delayed = "${byoos.spec.retention.interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduled() {
        return purge().invoke(purged -> {
            if (purged.outboxRecords() + purged.idempotencyKeys() + purged.deliveries() > 0) {
                LOG.infof("retention: deleted %d published outbox records, %d idempotency keys and %d finished "
                        + "notification deliveries", purged.outboxRecords(), purged.idempotencyKeys(), purged.deliveries());
            }
        }).onFailure().invoke(failure -> LOG.warnf("retention run failed; the next one retries: %s", failure))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** Deletes, batch by batch, every row past its retention now; nothing while another replica purges. */
    public Uni<Purged> purge() {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return deleteAll(OUTBOX, now.minus(config.outbox()))
                .flatMap(outbox -> deleteAll(IDEMPOTENCY_KEYS, now.minus(config.idempotencyKeys()))
                        .flatMap(keys -> deleteAll(FINISHED_DELIVERIES, now.minus(config.deliveries()))
                                .map(deliveries -> new Purged(outbox, keys, deliveries))));
    }

    private Uni<Long> deleteAll(String delete, OffsetDateTime cutoff) {
        return Uni.createFrom().deferred(() -> pool.withTransaction(connection -> batch(connection, delete, cutoff)))
                // whilst, not until: the last, partial batch is counted too.
                .repeat().whilst(deleted -> deleted == config.batchSize())
                .collect().with(Collectors.summingLong(deleted -> Math.max(deleted, 0)));
    }

    private Uni<Integer> batch(SqlConnection connection, String delete, OffsetDateTime cutoff) {
        return connection.preparedQuery("select pg_try_advisory_xact_lock($1)").execute(Tuple.of(PURGE_LOCK))
                .flatMap(locked -> locked.iterator().next().getBoolean(0)
                        ? connection.preparedQuery(delete).execute(Tuple.of(cutoff, config.batchSize()))
                                .map(deleted -> deleted.rowCount())
                        : Uni.createFrom().item(LOCKED));
    }
}
