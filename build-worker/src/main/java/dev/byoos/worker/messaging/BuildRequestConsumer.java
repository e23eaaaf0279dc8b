package dev.byoos.worker.messaging;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.reactive.messaging.annotations.Blocking;

import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventJson.MalformedEventException;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;
import dev.byoos.worker.observability.WorkerMetrics;
import dev.byoos.worker.service.BuildService;

/**
 * Takes build requests off Kafka, one build slot each, and hands them to the {@link BuildService}.
 * A request is acknowledged (and its offset committed) only once the build's outcome was announced,
 * so a worker that dies mid-build leaves the request to be redelivered; a malformed request, or one
 * whose outcome could not be recorded, goes to the dead-letter topic.
 */
@ApplicationScoped
public class BuildRequestConsumer {

    private static final Logger LOG = Logger.getLogger(BuildRequestConsumer.class);

    private final BuildService builds;
    private final WorkerMetrics metrics;

    BuildRequestConsumer(BuildService builds, WorkerMetrics metrics) {
        this.builds = builds;
        this.metrics = metrics;
    }

    @Incoming(Topics.BUILDS_REQUESTED)
    @Blocking(value = "builds", ordered = false)
    public CompletionStage<Void> onBuildRequested(Message<String> message) {
        BuildRequested request;
        try {
            request = CloudEventMessages.read(message, EventTypes.BUILD_REQUESTED, BuildRequested.class);
        } catch (MalformedEventException e) {
            LOG.warnf("dead-lettering a malformed build request: %s", e.getMessage());
            return message.nack(e);
        }
        Optional<Instant> requestedAt = CloudEventMessages.attributes(message, EventTypes.BUILD_REQUESTED)
                .getTimeStamp().map(time -> time.toInstant());
        try (WorkerMetrics.Slot slot = metrics.occupySlot()) {
            builds.build(request, requestedAt);
            return message.ack();
        } catch (RuntimeException e) {
            // Only a failure to record the outcome lands here; the request goes to the dead-letter topic.
            LOG.errorf(e, "build %s: could not record the outcome", request.build().buildId());
            return message.nack(e);
        }
    }
}
