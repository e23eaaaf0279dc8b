package dev.byoos.artifact.messaging;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

import dev.byoos.artifact.repository.PackReferenceEntity;
import dev.byoos.contract.EventJson.MalformedEventException;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackPublished;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;

/**
 * Records which builds' artifacts published packs point at, so retention keeps them. Idempotent:
 * the row's id derives from (build, pack reference), and a redelivery finds it. Malformed events
 * are dead-lettered to {@code byoos.packs.published.dlq}.
 */
@ApplicationScoped
public class PackPublishedConsumer {

    private static final Logger LOG = Logger.getLogger(PackPublishedConsumer.class);

    @Incoming(Topics.PACKS_PUBLISHED)
    public Uni<Void> onPackPublished(Message<String> message) {
        return Uni.createFrom().deferred(() -> record(parse(message)))
                .onItem().transformToUni(done -> Uni.createFrom().completionStage(message.ack()))
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

    private Uni<Void> record(PackPublished event) {
        UUID buildId = UUID.fromString(event.build().buildId());
        UUID id = PackReferenceEntity.idOf(buildId, event.reference());
        return Panache.withTransaction(() -> PackReferenceEntity.<PackReferenceEntity>findById(id)
                .flatMap(existing -> {
                    if (existing != null) {
                        return Uni.createFrom().voidItem();
                    }
                    PackReferenceEntity reference = new PackReferenceEntity();
                    reference.id = id;
                    reference.buildId = buildId;
                    reference.reference = event.reference();
                    reference.manifestDigest = event.manifestDigest();
                    reference.recordedAt = OffsetDateTime.now(ZoneOffset.UTC);
                    return reference.persist().replaceWithVoid();
                }));
    }
}
