package dev.byoos.artifact.messaging;


import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.mutiny.Uni;

import dev.byoos.artifact.service.BuildRecords;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;

/**
 * Hands every {@code build.requested} to {@link BuildRecords}: what a later {@code build.completed}
 * is checked against. A consumer group of its own (the worker's requests are not consumed away from
 * it). While the database is down the record waits (and the partition with it), never
 * dead-lettered; malformed events, and a database error that is no outage, are dead-lettered to
 * {@code byoos.builds.requested.dlq}.
 */
@ApplicationScoped
public class BuildRequestedConsumer {

    private final BuildRecords records;

    public BuildRequestedConsumer(BuildRecords records) {
        this.records = records;
    }

    @Incoming(Topics.BUILDS_REQUESTED)
    public Uni<Void> onBuildRequested(Message<String> message) {
        return ConsumedMessages.settle(message, "build.requested", () -> records.remember(parse(message).build()));
    }

    private static BuildRequested parse(Message<String> message) {
        BuildRequested event = CloudEventMessages.read(message, EventTypes.BUILD_REQUESTED, BuildRequested.class);
        ConsumedMessages.requireUuid(event.build().buildId());
        return event;
    }
}
