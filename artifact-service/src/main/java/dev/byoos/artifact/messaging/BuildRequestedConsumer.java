package dev.byoos.artifact.messaging;

import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;

import dev.byoos.artifact.service.BuildRecords;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventJson.MalformedEventException;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;
import dev.byoos.messaging.resilience.WaitAbandonedException;

/**
 * Hands every {@code build.requested} to {@link BuildRecords}: what a later {@code build.completed}
 * is checked against. A consumer group of its own (the worker's requests are not consumed away from
 * it). While the database is down the record waits (and the partition with it), never
 * dead-lettered; malformed events, and a database error that is no outage, are dead-lettered to
 * {@code byoos.builds.requested.dlq}.
 */
@ApplicationScoped
public class BuildRequestedConsumer {

    private static final Logger LOG = Logger.getLogger(BuildRequestedConsumer.class);

    private final BuildRecords records;

    public BuildRequestedConsumer(BuildRecords records) {
        this.records = records;
    }

    @Incoming(Topics.BUILDS_REQUESTED)
    public Uni<Void> onBuildRequested(Message<String> message) {
        return Uni.createFrom().deferred(() -> records.remember(parse(message).build()))
                .onItem().transformToUni(done -> Uni.createFrom().completionStage(message.ack()))
                // The service stops mid-wait: neither done nor failed, the record is delivered again.
                .onFailure(WaitAbandonedException.class).recoverWithItem(() -> null)
                .onFailure().recoverWithUni(failure -> {
                    LOG.warnf("dead-lettering build.requested: %s", failure.getMessage());
                    return Uni.createFrom().completionStage(message.nack(failure));
                });
    }

    private static BuildRequested parse(Message<String> message) {
        BuildRequested event = CloudEventMessages.read(message, EventTypes.BUILD_REQUESTED, BuildRequested.class);
        try {
            UUID.fromString(event.build().buildId());
        } catch (IllegalArgumentException e) {
            throw new MalformedEventException("buildId is not a UUID", e);
        }
        return event;
    }
}
