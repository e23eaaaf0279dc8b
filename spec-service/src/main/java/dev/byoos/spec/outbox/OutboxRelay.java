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
import dev.byoos.spec.observability.BuildMetrics;
import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.OutboxEntity;
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

    private final MutinyEmitter<String> buildRequests;
    private final MutinyEmitter<String> cancellations;
    private final Vertx vertx;
    private final SpecServiceConfig config;
    private final BuildMetrics metrics;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean requestedWhileRunning = new AtomicBoolean();
    /** Cleared only by a pass that emptied the outbox; set again by a pass that failed. */
    private final AtomicBoolean mayHaveUnpublished = new AtomicBoolean(true);

    public OutboxRelay(@Channel(Topics.BUILDS_REQUESTED) MutinyEmitter<String> buildRequests,
            @Channel(Topics.BUILDS_CANCELLED) MutinyEmitter<String> cancellations, Vertx vertx,
            SpecServiceConfig config, BuildMetrics metrics) {
        this.buildRequests = buildRequests;
        this.cancellations = cancellations;
        this.vertx = vertx;
        this.config = config;
        this.metrics = metrics;
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
                .invoke(() -> {
                    // The pass's last batch came up short: the outbox was empty as far as it could see.
                    // Setting the gauge here, for every pass and not only the poller's, keeps a record that
                    // was committed and relayed meanwhile from showing as a backlog until the next idle poll.
                    mayHaveUnpublished.set(false);
                    metrics.outboxBacklog(0);
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
     * @return how many records this batch took out of the outbox
     */
    private Uni<Integer> relayBatch() {
        return Panache.withTransaction(() -> OutboxEntity.lockUnpublished(config.outbox().batchSize())
                .flatMap(records -> records.isEmpty() ? Uni.createFrom().item(0) : publish(records)));
    }

    private Uni<Integer> publish(List<OutboxEntity> records) {
        List<Uni<Refusal>> sends = new ArrayList<>();
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
                    record.messageKey, record.eventType, record.payload), record.traceParent))
                    .replaceWith((Refusal) null)
                    .onFailure(UnsendableRecords::isFinal).recoverWithItem(UnsendableRecords::refusal));
        }
        return Uni.join().all(sends).andFailFast().flatMap(refusals -> {
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            List<UUID> queued = new ArrayList<>();
            Uni<Void> failed = Uni.createFrom().voidItem();
            for (int i = 0; i < records.size(); i++) {
                OutboxEntity record = records.get(i);
                Refusal refusal = refusals.get(i);
                boolean request = Topics.BUILDS_REQUESTED.equals(record.topic);
                if (refusal == null) {
                    record.publishedAt = now;
                    if (request) {
                        queued.add(UUID.fromString(record.messageKey));
                    }
                    continue;
                }
                LOG.errorf("outbox record %d (%s for %s) set aside: %s", record.id, record.eventType,
                        record.messageKey, refusal.reason());
                record.setAsideAt = now;
                record.setAsideReason = refusal.reason();
                if (request) {
                    failed = failed.chain(() -> failUnsent(UUID.fromString(record.messageKey), refusal, now));
                }
            }
            return failed.chain(() -> queued.isEmpty() ? Uni.createFrom().item(0)
                    : BuildEntity.update("state = ?1, updatedAt = ?2 where id in ?3 and state = ?4",
                            BuildState.QUEUED, now, queued, BuildState.ACCEPTED));
        }).replaceWith(records.size());
    }

    /** A build whose request never reached Kafka fails; one that moved on meanwhile is left alone. */
    private static Uni<Void> failUnsent(UUID buildId, Refusal refusal, OffsetDateTime now) {
        return BuildEntity.update("state = ?1, failureStage = ?2, failureCode = ?3, failureReason = ?4,"
                + " failureCategory = ?5, updatedAt = ?6 where id = ?7 and state = ?8", BuildState.FAILED,
                FAILURE_STAGE, UnsendableRecords.REQUEST_NOT_SENDABLE, refusal.reason(), refusal.category(), now,
                buildId, BuildState.ACCEPTED).replaceWithVoid();
    }
}
