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

    /** The channel of every stage's events; its topics are set in application.properties. */
    public static final String CHANNEL = "byoos.pipeline-events";

    private static final Logger LOG = Logger.getLogger(PipelineEventsConsumer.class);

    private final BuildReadModel readModel;
    private final ConsumerWaits waits;

    public PipelineEventsConsumer(BuildReadModel readModel, ConsumerWaits waits) {
        this.readModel = readModel;
        this.waits = waits;
    }

    /**
     * Every stage's events, from one consumer subscribed to all their topics
     * ({@value #CHANNEL}): one group member, one fetch loop and one heartbeat instead of one per
     * topic. A record is told by its topic; each topic's poison records still go to its own
     * dead-letter topic ({@code <topic>.dlq}, {@link dev.byoos.messaging.CountedDeadLetterQueue}).
     */
    @Incoming(CHANNEL)
    public Uni<Void> onPipelineEvent(Message<String> message) {
        String topic = CloudEventMessages.topic(message);
        return switch (topic) {
            case Topics.BUILDS_STARTED -> handle(message, topic, EventTypes.BUILD_STARTED);
            case Topics.BUILDS_COMPLETED -> handle(message, topic, EventTypes.BUILD_COMPLETED);
            case Topics.BUILDS_FAILED -> handle(message, topic, EventTypes.BUILD_FAILED);
            case Topics.ARTIFACTS_STORED -> handle(message, topic, EventTypes.ARTIFACT_STORED);
            case Topics.PACKS_PUBLISHED -> handle(message, topic, EventTypes.PACK_PUBLISHED);
            case Topics.PACKS_RETIRED -> onPackRetired(message);
            case Topics.BUILDS_PROGRESS -> onBuildProgress(message);
            default -> settle(Uni.createFrom().failure(CloudEventMessages.unreadTopic(topic)), message, "unexpected");
        };
    }

    /**
     * A deprecated or revoked pack version goes into its build's timeline; a revoked one is never
     * reused by an identical spec ({@link dev.byoos.spec.service.SpecIntake}).
     */
    private Uni<Void> onPackRetired(Message<String> message) {
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

    private Uni<Void> onBuildProgress(Message<String> message) {
        return settle(Uni.createFrom().deferred(() -> {
            IncomingCloudEventMetadata<?> cloudEvent = CloudEventMessages.attributes(message, EventTypes.BUILD_PROGRESS);
            BuildProgress report = EventJson.read(message.getPayload(), BuildProgress.class);
            return waits.run(Topics.BUILDS_PROGRESS, () -> readModel.recordProgress(report, occurredAt(cloudEvent)));
        }), message, EventTypes.BUILD_PROGRESS);
    }

    private Uni<Void> handle(Message<String> message, String topic, String expectedType) {
        return settle(Uni.createFrom().deferred(() -> {
            IncomingCloudEventMetadata<?> cloudEvent = CloudEventMessages.attributes(message, expectedType);
            BuildUpdate update = BuildUpdate.parse(expectedType, message.getPayload());
            return waits.run(topic, () -> readModel.record(cloudEvent.getId(), expectedType,
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
