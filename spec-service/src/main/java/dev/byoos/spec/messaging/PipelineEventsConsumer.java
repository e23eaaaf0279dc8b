package dev.byoos.spec.messaging;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.ce.IncomingCloudEventMetadata;

import dev.byoos.contract.BuildProgress;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackRetired;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;
import dev.byoos.spec.service.BuildProjection.BuildUpdate;
import dev.byoos.spec.service.BuildReadModel;

/**
 * Feeds every stage's events to the build read model ({@link BuildReadModel}): decodes each record,
 * acknowledges it once its change is committed, and nacks it (so it lands in the topic's
 * dead-letter topic) when it is not a well-formed event of the expected type or cannot be applied.
 * A database outage is neither: the record waits for PostgreSQL ({@link ConsumerWaits}).
 */
@ApplicationScoped
public class PipelineEventsConsumer {

    private static final Logger LOG = Logger.getLogger(PipelineEventsConsumer.class);

    private final BuildReadModel readModel;
    private final ConsumerWaits waits;

    public PipelineEventsConsumer(BuildReadModel readModel, ConsumerWaits waits) {
        this.readModel = readModel;
        this.waits = waits;
    }

    @Incoming(Topics.BUILDS_STARTED)
    public Uni<Void> onBuildStarted(Message<String> message) {
        return handle(message, Topics.BUILDS_STARTED, EventTypes.BUILD_STARTED);
    }

    @Incoming(Topics.BUILDS_COMPLETED)
    public Uni<Void> onBuildCompleted(Message<String> message) {
        return handle(message, Topics.BUILDS_COMPLETED, EventTypes.BUILD_COMPLETED);
    }

    @Incoming(Topics.BUILDS_FAILED)
    public Uni<Void> onBuildFailed(Message<String> message) {
        return handle(message, Topics.BUILDS_FAILED, EventTypes.BUILD_FAILED);
    }

    @Incoming(Topics.ARTIFACTS_STORED)
    public Uni<Void> onArtifactStored(Message<String> message) {
        return handle(message, Topics.ARTIFACTS_STORED, EventTypes.ARTIFACT_STORED);
    }

    @Incoming(Topics.PACKS_PUBLISHED)
    public Uni<Void> onPackPublished(Message<String> message) {
        return handle(message, Topics.PACKS_PUBLISHED, EventTypes.PACK_PUBLISHED);
    }

    /**
     * A deprecated or revoked pack version goes into its build's timeline; a revoked one is never
     * reused by an identical spec ({@link dev.byoos.spec.service.SpecIntake}).
     */
    @Incoming(Topics.PACKS_RETIRED)
    public Uni<Void> onPackRetired(Message<String> message) {
        return settle(Uni.createFrom().deferred(() -> {
            boolean deprecated = message.getMetadata(IncomingCloudEventMetadata.class)
                    .map(cloudEvent -> EventTypes.PACK_DEPRECATED.equals(cloudEvent.getType())).orElse(false);
            // Any other type (or none) fails here and is dead-lettered.
            IncomingCloudEventMetadata<?> cloudEvent = CloudEventMessages.attributes(message,
                    deprecated ? EventTypes.PACK_DEPRECATED : EventTypes.PACK_REVOKED);
            PackRetired retired = EventJson.read(message.getPayload(), PackRetired.class);
            return waits.run(Topics.PACKS_RETIRED, () -> readModel.recordRetirement(cloudEvent.getId(),
                    cloudEvent.getType(), cloudEvent.getSource().toString(), occurredAt(cloudEvent), retired));
        }), message, "pack retirement");
    }

    @Incoming(Topics.BUILDS_PROGRESS)
    public Uni<Void> onBuildProgress(Message<String> message) {
        return settle(Uni.createFrom().deferred(() -> {
            IncomingCloudEventMetadata<?> cloudEvent = CloudEventMessages.attributes(message, EventTypes.BUILD_PROGRESS);
            BuildProgress report = EventJson.read(message.getPayload(), BuildProgress.class);
            return waits.run(Topics.BUILDS_PROGRESS, () -> readModel.recordProgress(report, occurredAt(cloudEvent)));
        }), message, EventTypes.BUILD_PROGRESS);
    }

    private Uni<Void> handle(Message<String> message, String channel, String expectedType) {
        return settle(Uni.createFrom().deferred(() -> {
            IncomingCloudEventMetadata<?> cloudEvent = CloudEventMessages.attributes(message, expectedType);
            BuildUpdate update = BuildUpdate.parse(expectedType, message.getPayload());
            return waits.run(channel, () -> readModel.record(cloudEvent.getId(), expectedType,
                    cloudEvent.getSource().toString(), occurredAt(cloudEvent), update));
        }), message, expectedType);
    }

    /** Acknowledges the message once its work is committed; dead-letters it when the work fails for good. */
    private static Uni<Void> settle(Uni<?> work, Message<String> message, String type) {
        return work
                .onItem().transformToUni(done -> Uni.createFrom().completionStage(message.ack()))
                .onFailure().recoverWithUni(failure -> {
                    LOG.warnf("dead-lettering %s event: %s", type, failure.getMessage());
                    return Uni.createFrom().completionStage(message.nack(failure));
                });
    }

    private static OffsetDateTime occurredAt(IncomingCloudEventMetadata<?> cloudEvent) {
        return cloudEvent.getTimeStamp().map(time -> time.toOffsetDateTime()).orElse(OffsetDateTime.now(ZoneOffset.UTC));
    }
}
