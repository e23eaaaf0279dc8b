package dev.byoos.artifact.messaging;


import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.ce.IncomingCloudEventMetadata;

import dev.byoos.artifact.service.PackReferences;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackPublished;
import dev.byoos.contract.PackRetired;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;

/**
 * Hands every {@code pack.published} to {@link PackReferences}, so retention keeps the artifacts
 * published packs point at, and every {@code pack.deprecated} / {@code pack.revoked}, so a revoked
 * pack keeps its artifact no longer. One consumer reads both topics ({@value #CHANNEL}, group
 * {@code artifact-service.packs}): one group member, fetch loop and heartbeat instead of two, for
 * events that come once per published build and far more rarely. While the database is down the
 * record waits, never dead-lettered; malformed events are dead-lettered to their topic's {@code .dlq}.
 */
@ApplicationScoped
public class PackEventsConsumer {

    /** The channel subscribed to {@code byoos.packs.published} and {@code byoos.packs.retired}. */
    public static final String CHANNEL = "byoos.pack-events";

    private final PackReferences references;

    public PackEventsConsumer(PackReferences references) {
        this.references = references;
    }

    /** A record is told by its topic; one of a topic this consumer does not read is dead-lettered. */
    @Incoming(CHANNEL)
    public Uni<Void> onPackEvent(Message<String> message) {
        String topic = CloudEventMessages.topic(message);
        return switch (topic) {
            case Topics.PACKS_PUBLISHED ->
                    ConsumedMessages.settle(message, "pack.published", () -> references.record(parse(message)));
            case Topics.PACKS_RETIRED -> ConsumedMessages.settle(message, "pack retirement", () -> retire(message));
            default -> ConsumedMessages.settle(message, "record",
                    () -> Uni.createFrom().failure(CloudEventMessages.unreadTopic(topic)));
        };
    }

    private Uni<Void> retire(Message<String> message) {
        boolean revoked = message.getMetadata(IncomingCloudEventMetadata.class)
                .map(cloudEvent -> EventTypes.PACK_REVOKED.equals(cloudEvent.getType())).orElse(false);
        // Any other type (or none) fails here and is dead-lettered.
        PackRetired event = CloudEventMessages.read(message,
                revoked ? EventTypes.PACK_REVOKED : EventTypes.PACK_DEPRECATED, PackRetired.class);
        return references.retire(event, revoked);
    }

    private static PackPublished parse(Message<String> message) {
        PackPublished event = CloudEventMessages.read(message, EventTypes.PACK_PUBLISHED, PackPublished.class);
        ConsumedMessages.requireUuid(event.build().buildId());
        return event;
    }
}
