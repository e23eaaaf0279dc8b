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
 * pack keeps its artifact no longer. While the database is down the record waits, never
 * dead-lettered; malformed events are dead-lettered to the topic's {@code .dlq}.
 */
@ApplicationScoped
public class PackPublishedConsumer {

    private static final Logger LOG = Logger.getLogger(PackPublishedConsumer.class);

    private final PackReferences references;

    public PackPublishedConsumer(PackReferences references) {
        this.references = references;
    }

    @Incoming(Topics.PACKS_PUBLISHED)
    public Uni<Void> onPackPublished(Message<String> message) {
        return handle(message, "pack.published", () -> references.record(parse(message)));
    }

    @Incoming(Topics.PACKS_RETIRED)
    public Uni<Void> onPackRetired(Message<String> message) {
        return handle(message, "pack retirement", () -> {
            boolean revoked = message.getMetadata(IncomingCloudEventMetadata.class)
                    .map(cloudEvent -> EventTypes.PACK_REVOKED.equals(cloudEvent.getType())).orElse(false);
            // Any other type (or none) fails here and is dead-lettered.
            PackRetired event = CloudEventMessages.read(message,
                    revoked ? EventTypes.PACK_REVOKED : EventTypes.PACK_DEPRECATED, PackRetired.class);
            return references.retire(event, revoked);
        });
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
