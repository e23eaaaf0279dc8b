package dev.byoos.artifact.messaging;

import java.util.UUID;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.ce.IncomingCloudEventMetadata;

import dev.byoos.artifact.service.PackReferences;
import dev.byoos.contract.EventJson.MalformedEventException;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackPublished;
import dev.byoos.contract.PackRetired;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;
import dev.byoos.messaging.resilience.WaitAbandonedException;

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
    private static final Logger LOG = Logger.getLogger(PackEventsConsumer.class);

    private final PackReferences references;

    public PackEventsConsumer(PackReferences references) {
        this.references = references;
    }

    /** A record is told by its topic; one of a topic this consumer does not read is dead-lettered. */
    @Incoming(CHANNEL)
    public Uni<Void> onPackEvent(Message<String> message) {
        String topic = CloudEventMessages.topic(message);
        return switch (topic) {
            case Topics.PACKS_PUBLISHED -> handle(message, "pack.published", () -> references.record(parse(message)));
            case Topics.PACKS_RETIRED -> handle(message, "pack retirement", () -> retire(message));
            default -> handle(message, "record", () -> Uni.createFrom().failure(CloudEventMessages.unreadTopic(topic)));
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

    private static Uni<Void> handle(Message<String> message, String what, Supplier<Uni<? extends Void>> work) {
        return Uni.createFrom().deferred(work)
                .onItem().transformToUni(done -> Uni.createFrom().completionStage(message.ack()))
                // The service stops mid-wait: neither done nor failed, the record is delivered again.
                .onFailure(WaitAbandonedException.class).recoverWithItem(() -> null)
                .onFailure().recoverWithUni(failure -> {
                    LOG.warnf("dead-lettering %s: %s", what, failure.getMessage());
                    return Uni.createFrom().completionStage(message.nack(failure));
                });
    }

    private static PackPublished parse(Message<String> message) {
        PackPublished event = CloudEventMessages.read(message, EventTypes.PACK_PUBLISHED, PackPublished.class);
        try {
            UUID.fromString(event.build().buildId());
        } catch (IllegalArgumentException e) {
            throw new MalformedEventException("buildId is not a UUID", e);
        }
        return event;
    }
}
