package dev.byoos.spec.service;

import java.time.OffsetDateTime;
import java.util.UUID;

import dev.byoos.contract.EventIds;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.TraceContext;
import dev.byoos.spec.model.ImageSpec;
import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.OutboxEntity;
import dev.byoos.spec.repository.SpecEntity;

/**
 * Outbox rows: an event for a build, with its deterministic id (one per build and event type, so a
 * redelivery is recognised downstream) and the trace it belongs to.
 */
final class OutboxRecords {

    private OutboxRecords() {
    }

    /** The build request of {@code build}, to be published on {@link Topics#BUILDS_REQUESTED}. */
    static OutboxEntity buildRequested(ImageSpec spec, SpecEntity specEntity, BuildEntity build, OffsetDateTime now) {
        return record(build.id, EventTypes.BUILD_REQUESTED, Topics.BUILDS_REQUESTED,
                EventJson.write(BuildRequests.of(spec, specEntity, build)), now);
    }

    static OutboxEntity record(UUID buildId, String eventType, String topic, String payload, OffsetDateTime now) {
        OutboxEntity record = new OutboxEntity();
        record.eventId = EventIds.forStage(buildId.toString(), eventType);
        record.topic = topic;
        record.eventType = eventType;
        record.messageKey = buildId.toString();
        record.payload = payload;
        record.createdAt = now;
        record.traceParent = TraceContext.currentTraceparent();
        return record;
    }
}
