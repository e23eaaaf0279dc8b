package dev.byoos.artifact.messaging;

import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;

import dev.byoos.artifact.service.PackReferences;
import dev.byoos.contract.EventJson.MalformedEventException;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackPublished;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;
import dev.byoos.messaging.resilience.WaitAbandonedException;

/**
 * Hands every {@code pack.published} to {@link PackReferences}, so retention keeps the artifacts
 * published packs point at. While the database is down the record waits, never dead-lettered;
 * malformed events are dead-lettered to {@code byoos.packs.published.dlq}.
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
        return Uni.createFrom().deferred(() -> references.record(parse(message)))
                .onItem().transformToUni(done -> Uni.createFrom().completionStage(message.ack()))
                // The service stops mid-wait: neither done nor failed, the record is delivered again.
                .onFailure(WaitAbandonedException.class).recoverWithItem(() -> null)
                .onFailure().recoverWithUni(failure -> {
                    LOG.warnf("dead-lettering pack.published: %s", failure.getMessage());
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
