package dev.byoos.spec.service;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.List;
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
import dev.byoos.spec.validation.SpecRejectedException;
import dev.byoos.spec.validation.Violation;

/**
 * Outbox rows: an event for a build, with its deterministic id (one per build and event type, so a
 * redelivery is recognised downstream) and the trace it belongs to.
 */
final class OutboxRecords {

    /**
     * The largest build request accepted into the outbox. Kafka's producer refuses a record over its
     * {@code max.request.size} (1 MiB by default) every time it is sent, so a larger one would stay
     * in the outbox for good, failing the relay's batch and holding up every build behind it. The
     * margin is for the CloudEvent headers and the record batch's own bytes.
     */
    static final int MAX_BUILD_REQUEST_BYTES = 1_000_000;

    private OutboxRecords() {
    }

    /**
     * The build request of {@code build}, to be published on {@link Topics#BUILDS_REQUESTED}.
     *
     * @throws SpecRejectedException TOO_LARGE at {@code /spec/customizations} when the request is
     *         over {@link #MAX_BUILD_REQUEST_BYTES}: a spec under the body limit can still make one,
     *         since file contents are JSON-escaped in the event
     */
    static OutboxEntity buildRequested(ImageSpec spec, SpecEntity specEntity, BuildEntity build, OffsetDateTime now) {
        String payload = EventJson.write(BuildRequests.of(spec, specEntity, build));
        int bytes = payload.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BUILD_REQUEST_BYTES) {
            throw new SpecRejectedException(List.of(new Violation("/spec/customizations", Violation.TOO_LARGE,
                    "the build request this spec makes is " + bytes + " bytes, over the " + MAX_BUILD_REQUEST_BYTES
                            + " an event may carry: the files, scripts and certificates are sent with it (JSON-escaped,"
                            + " so quotes and control characters count twice or more); put large content in the base"
                            + " or a package")));
        }
        return record(build.id, EventTypes.BUILD_REQUESTED, Topics.BUILDS_REQUESTED, payload, now);
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
