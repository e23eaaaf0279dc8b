package dev.byoos.worker.messaging;

import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.reactive.messaging.annotations.Blocking;

import dev.byoos.contract.BuildCancelled;
import dev.byoos.contract.EventJson.MalformedEventException;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;
import dev.byoos.worker.service.CancellationRegistry;

/**
 * Reads every cancellation, on every worker instance: each instance has a consumer group of its
 * own (see application.properties), because the build to stop runs on one of them and only that
 * one knows which.
 */
@ApplicationScoped
public class BuildCancellationConsumer {

    private static final Logger LOG = Logger.getLogger(BuildCancellationConsumer.class);

    private final CancellationRegistry cancellations;

    BuildCancellationConsumer(CancellationRegistry cancellations) {
        this.cancellations = cancellations;
    }

    @Incoming(Topics.BUILDS_CANCELLED)
    @Blocking // stopping a build kills its processes
    public CompletionStage<Void> onBuildCancelled(Message<String> message) {
        BuildCancelled cancelled;
        try {
            cancelled = CloudEventMessages.read(message, EventTypes.BUILD_CANCELLED, BuildCancelled.class);
        } catch (MalformedEventException e) {
            LOG.warnf("dead-lettering a malformed build cancellation: %s", e.getMessage());
            return message.nack(e);
        }
        LOG.infof("build %s cancelled by %s", cancelled.build().buildId(), cancelled.requestedBy());
        cancellations.cancel(cancelled.build().buildId());
        return message.ack();
    }
}
