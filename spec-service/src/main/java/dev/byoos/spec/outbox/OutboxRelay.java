package dev.byoos.spec.outbox;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.jboss.logging.Logger;

import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;
import dev.byoos.messaging.TraceContext;
import dev.byoos.spec.config.SpecServiceConfig;
import dev.byoos.spec.observability.BuildMetrics;
import dev.byoos.spec.BuildState;
import dev.byoos.spec.outbox.UnsendableRecords.Refusal;

/**
 * Publishes outbox records to Kafka in insertion order and marks them published only after
 * Kafka acknowledged them (acks=all). A crash between the two republishes the record: delivery
 * is at-least-once and consumers deduplicate on the CloudEvent id, which is stable.
 */
@ApplicationScoped
public class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    /** The stage a build fails in when its request cannot be sent: spec-service's intake. */
    private static final String FAILURE_STAGE = "intake";

    /** The topics this relay publishes; a record for another waits for a release that knows it. */
    private static final String[] RELAYED_TOPICS = { Topics.BUILDS_REQUESTED, Topics.BUILDS_CANCELLED };

    /**
     * The oldest unpublished records of the topics this relay publishes, locked. SKIP LOCKED lets
     * several spec-service replicas relay concurrently without publishing the same record twice at
     * the same time. A record for another topic (written by a newer release, read by an older
     * replica during a rollout or after a rollback) is not taken: it used to fail every batch it was
     * in, and so stop this replica's relay altogether. It waits for a replica that publishes its
     * topic and is counted in the backlog meanwhile ({@link #countForOtherReleases}).
     */
    private static final String LOCK_UNPUBLISHED = """
            select id, event_id, topic, event_type, message_key, payload, trace_parent from outbox
            where published_at is null and set_aside_at is null and topic = any ($2)
            order by id limit $1 for update skip locked""";

    /**
     * Marks the sent records published and moves the builds they requested from ACCEPTED to QUEUED
     * (a build that moved on meanwhile is left alone), in one round trip: a data-modifying WITH runs
     * whether or not the main statement reads it.
     */
    private static final String MARK_PUBLISHED = """
            with published as (update outbox set published_at = $1 where id = any ($2))
            update build set state = $3, updated_at = $1 where id = any ($4) and state = $5""";

    private final MutinyEmitter<String> buildRequests;
    private final MutinyEmitter<String> cancellations;
    private final Vertx vertx;
    private final Pool pool;
    private final SpecServiceConfig config;
    private final BuildMetrics metrics;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean requestedWhileRunning = new AtomicBoolean();
    /** Cleared only by a pass that emptied the outbox; set again by a pass that failed. */
    private final AtomicBoolean mayHaveUnpublished = new AtomicBoolean(true);
    /** The last count of {@link #countForOtherReleases}: the backlog a pass that emptied its own leaves. */
    private final AtomicLong waitingForOtherReleases = new AtomicLong();

    public OutboxRelay(@Channel(Topics.BUILDS_REQUESTED) MutinyEmitter<String> buildRequests,
            @Channel(Topics.BUILDS_CANCELLED) MutinyEmitter<String> cancellations, Vertx vertx, Pool pool,
            SpecServiceConfig config, BuildMetrics metrics) {
        this.buildRequests = buildRequests;
        this.cancellations = cancellations;
        this.vertx = vertx;
        this.pool = pool;
        this.config = config;
        this.metrics = metrics;
    }

    /**
     * Asks for a relay pass now, on a fresh duplicated Vert.x context so it never shares the
     * caller's context (its Hibernate session, its trace).
     */
    public void relaySoon() {
        Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        context.runOnContext(ignored -> relayAll()
                .subscribe().with(done -> {
                }, failure -> LOG.warnf(failure, "outbox relay pass failed; the next poll retries")));
    }

    /** Relays batches until the outbox is empty; one pass at a time per instance. */
    public Uni<Void> relayAll() {
        if (!running.compareAndSet(false, true)) {
            requestedWhileRunning.set(true);
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().deferred(this::relayBatch)
                .repeat().until(published -> published < config.outbox().batchSize())
                .collect().last()
                .replaceWithVoid()
                .invoke(() -> {
                    // The pass's last batch came up short: the outbox was empty as far as it could see.
                    // Setting the gauge here, for every pass and not only the poller's, keeps a record that
                    // was committed and relayed meanwhile from showing as a backlog until the next idle poll.
                    mayHaveUnpublished.set(false);
                    metrics.outboxBacklog(waitingForOtherReleases.get());
                })
                .onFailure().invoke(() -> mayHaveUnpublished.set(true))
                .eventually(() -> {
                    running.set(false);
                    if (requestedWhileRunning.getAndSet(false)) {
                        relaySoon();
                    }
                });
    }

    /**
     * False when this replica's last pass left the outbox empty and none failed since: what is
     * committed here afterwards is relayed right after its commit ({@link #relaySoon}).
     */
    public boolean mayHaveUnpublished() {
        return mayHaveUnpublished.get();
    }

    /**
     * Sends a batch concurrently (each record has its own key, and Kafka keeps per-partition
     * order), waits for every acknowledgement, then marks the batch published. A record Kafka
     * refuses for good ({@link UnsendableRecords}) is set aside instead, and its build FAILED with
     * {@code REQUEST_NOT_SENDABLE}: retried, it would fail the batch on every pass and resend the
     * records beside it each time. Any other failure rolls the transaction back and the whole batch
     * is sent again later: at-least-once, with stable event ids for the consumers to deduplicate.
     *
     * <p>Plain SQL on the reactive pool: a pass runs after every intake commit, and Hibernate's
     * session, entity loads and dirty-checked flush of each record cost more than the statements.
     *
     * @return how many records this batch took out of the outbox
     */
    private Uni<Integer> relayBatch() {
        return pool.withTransaction(connection -> connection.preparedQuery(LOCK_UNPUBLISHED)
                .execute(Tuple.of(config.outbox().batchSize(), RELAYED_TOPICS))
                .flatMap(rows -> {
                    List<PendingRecord> records = new ArrayList<>(rows.size());
                    rows.forEach(row -> records.add(PendingRecord.of(row)));
                    return records.isEmpty() ? Uni.createFrom().item(0) : publish(connection, records);
                }));
    }

    /**
     * Counts the unpublished records of topics this relay does not publish, for the backlog gauge
     * and a warning: nothing here will ever send them.
     */
    public Uni<Long> countForOtherReleases() {
        return pool.preparedQuery("""
                select count(*), array_agg(distinct topic) from outbox
                where published_at is null and set_aside_at is null and not (topic = any ($1))""")
                .execute(Tuple.of((Object) RELAYED_TOPICS))
                .map(rows -> {
                    Row row = rows.iterator().next();
                    long waiting = row.getLong(0);
                    if (waiting > 0 && waitingForOtherReleases.get() != waiting) {
                        LOG.warnf("%d outbox records are for topics this spec-service does not publish (%s): they"
                                + " wait for a release that does", waiting, List.of(row.getArrayOfStrings(1)));
                    }
                    waitingForOtherReleases.set(waiting);
                    metrics.outboxBacklog(waiting);
                    return waiting;
                });
    }

    /** The count the backlog gauge shows after a pass that failed. */
    public Uni<Long> countUnpublished() {
        return pool.query("select count(*) from outbox where published_at is null and set_aside_at is null")
                .execute().map(rows -> rows.iterator().next().getLong(0));
    }

    private Uni<Integer> publish(SqlConnection connection, List<PendingRecord> records) {
        List<Uni<Refusal>> sends = new ArrayList<>();
        for (PendingRecord record : records) {
            MutinyEmitter<String> emitter = switch (record.topic()) {
                case Topics.BUILDS_REQUESTED -> buildRequests;
                case Topics.BUILDS_CANCELLED -> cancellations;
                default -> null;
            };
            if (emitter == null) {
                // LOCK_UNPUBLISHED takes only RELAYED_TOPICS: a topic missing from this switch is a bug here.
                return Uni.createFrom().failure(new IllegalStateException("outbox record " + record.id()
                        + " is for topic " + record.topic() + ", which this relay does not publish"));
            }
            if (emitter == buildRequests && record.buildId() == null) {
                // Every build request this service writes is keyed by its build's id; one that is not
                // cannot be routed to a build, and parsing its key after the send failed the whole batch
                // on every pass, resending the records beside it and relaying nothing behind it.
                sends.add(Uni.createFrom().item(UnsendableRecords.keyNotABuild(record.messageKey())));
                continue;
            }
            // Published later and elsewhere than written: the record's own trace context continues.
            sends.add(emitter.sendMessage(TraceContext.continuing(CloudEventMessages.withId(record.eventId(),
                    record.messageKey(), record.eventType(), record.payload()), record.traceParent()))
                    .replaceWith((Refusal) null)
                    .onFailure(UnsendableRecords::isFinal).recoverWithItem(UnsendableRecords::refusal));
        }
        return Uni.join().all(sends).andFailFast().flatMap(refusals -> {
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            List<Long> published = new ArrayList<>();
            List<UUID> queued = new ArrayList<>();
            Uni<Void> setAside = Uni.createFrom().voidItem();
            for (int i = 0; i < records.size(); i++) {
                PendingRecord record = records.get(i);
                Refusal refusal = refusals.get(i);
                boolean request = Topics.BUILDS_REQUESTED.equals(record.topic());
                if (refusal == null) {
                    published.add(record.id());
                    if (request) {
                        queued.add(record.buildId());
                    }
                    continue;
                }
                LOG.errorf("outbox record %d (%s for %s) set aside: %s", record.id(), record.eventType(),
                        record.messageKey(), refusal.reason());
                setAside = setAside.chain(() -> setAside(connection, record, request, refusal, now));
            }
            return setAside.chain(() -> published.isEmpty() ? Uni.createFrom().voidItem()
                    : connection.preparedQuery(MARK_PUBLISHED)
                            .execute(Tuple.of(now, published.toArray(Long[]::new), BuildState.QUEUED.name(),
                                    queued.toArray(UUID[]::new), BuildState.ACCEPTED.name()))
                            .replaceWithVoid());
        }).replaceWith(records.size());
    }

    /** Sets the record aside; a build whose request never reached Kafka fails, one that moved on meanwhile is left alone. */
    private static Uni<Void> setAside(SqlConnection connection, PendingRecord record, boolean request,
            Refusal refusal, OffsetDateTime now) {
        return connection.preparedQuery("update outbox set set_aside_at = $1, set_aside_reason = $2 where id = $3")
                .execute(Tuple.of(now, refusal.reason(), record.id()))
                .chain(() -> !request || record.buildId() == null ? Uni.createFrom().voidItem() : connection.preparedQuery("""
                        update build set state = $1, failure_stage = $2, failure_code = $3, failure_reason = $4,
                               failure_category = $5, updated_at = $6
                        where id = $7 and state = $8""")
                        .execute(Tuple.from(List.of(BuildState.FAILED.name(), FAILURE_STAGE,
                                UnsendableRecords.REQUEST_NOT_SENDABLE, refusal.reason(), refusal.category(), now,
                                record.buildId(), BuildState.ACCEPTED.name())))
                        .replaceWithVoid());
    }

    /** An unpublished outbox row as the relay sends it. */
    private record PendingRecord(long id, String eventId, String topic, String eventType, String messageKey,
            String payload, String traceParent) {

        /** The build a request is for: its key, or null when the key is no build id. */
        UUID buildId() {
            try {
                return messageKey == null ? null : UUID.fromString(messageKey);
            } catch (IllegalArgumentException notAUuid) {
                return null;
            }
        }

        static PendingRecord of(Row row) {
            return new PendingRecord(row.getLong("id"), row.getString("event_id"), row.getString("topic"),
                    row.getString("event_type"), row.getString("message_key"), row.getString("payload"),
                    row.getString("trace_parent"));
        }
    }
}
