package dev.byoos.spec.outbox;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.jboss.logging.Logger;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;
import dev.byoos.messaging.TraceContext;
import dev.byoos.spec.config.SpecServiceConfig;
import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.OutboxEntity;
import dev.byoos.spec.BuildState;

/**
 * Publishes outbox records to Kafka in insertion order and marks them published only after
 * Kafka acknowledged them (acks=all). A crash between the two republishes the record: delivery
 * is at-least-once and consumers deduplicate on the CloudEvent id, which is stable.
 */
@ApplicationScoped
public class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);

    private final MutinyEmitter<String> buildRequests;
    private final MutinyEmitter<String> cancellations;
    private final Vertx vertx;
    private final SpecServiceConfig config;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean requestedWhileRunning = new AtomicBoolean();

    public OutboxRelay(@Channel(Topics.BUILDS_REQUESTED) MutinyEmitter<String> buildRequests,
            @Channel(Topics.BUILDS_CANCELLED) MutinyEmitter<String> cancellations, Vertx vertx,
            SpecServiceConfig config) {
        this.buildRequests = buildRequests;
        this.cancellations = cancellations;
        this.vertx = vertx;
        this.config = config;
    }

    /**
     * Asks for a relay pass now, on a fresh duplicated Vert.x context (flagged safe for Hibernate
     * Reactive) so it never shares the caller's session.
     */
    public void relaySoon() {
        Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        VertxContextSafetyToggle.setContextSafe(context, true);
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
                .eventually(() -> {
                    running.set(false);
                    if (requestedWhileRunning.getAndSet(false)) {
                        relaySoon();
                    }
                });
    }

    /**
     * Sends a batch concurrently (each record has its own key, and Kafka keeps per-partition
     * order), waits for every acknowledgement, then marks the batch published in one statement.
     * If any send fails the transaction rolls back and the whole batch is sent again later:
     * at-least-once, with stable event ids for the consumers to deduplicate.
     *
     * @return how many records this batch published
     */
    private Uni<Integer> relayBatch() {
        return Panache.withTransaction(() -> OutboxEntity.lockUnpublished(config.outbox().batchSize())
                .flatMap(records -> records.isEmpty() ? Uni.createFrom().item(0) : publish(records)));
    }

    private Uni<Integer> publish(List<OutboxEntity> records) {
        List<Uni<Void>> sends = new ArrayList<>();
        for (OutboxEntity record : records) {
            MutinyEmitter<String> emitter = switch (record.topic) {
                case Topics.BUILDS_REQUESTED -> buildRequests;
                case Topics.BUILDS_CANCELLED -> cancellations;
                default -> null;
            };
            if (emitter == null) {
                // Fail loudly rather than misroute: the batch stays in the outbox for a fixed release.
                return Uni.createFrom().failure(new IllegalStateException("outbox record " + record.id
                        + " is for topic " + record.topic + ", which this relay does not publish"));
            }
            // Published later and elsewhere than written: the record's own trace context continues.
            sends.add(emitter.sendMessage(TraceContext.continuing(CloudEventMessages.withId(record.eventId,
                    record.messageKey, record.eventType, record.payload), record.traceParent)));
        }
        return Uni.join().all(sends).andFailFast().flatMap(acknowledged -> {
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            records.forEach(record -> record.publishedAt = now);
            List<UUID> builds = records.stream().filter(record -> Topics.BUILDS_REQUESTED.equals(record.topic))
                    .map(record -> UUID.fromString(record.messageKey)).toList();
            if (builds.isEmpty()) {
                return Uni.createFrom().item(0);
            }
            return BuildEntity.update("state = ?1, updatedAt = ?2 where id in ?3 and state = ?4",
                    BuildState.QUEUED, now, builds, BuildState.ACCEPTED);
        }).replaceWith(records.size());
    }
}
