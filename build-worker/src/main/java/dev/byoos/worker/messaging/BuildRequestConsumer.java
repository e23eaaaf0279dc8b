package dev.byoos.worker.messaging;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
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
import dev.byoos.worker.service.BuildHandedBackException;
import dev.byoos.worker.service.BuildService;

/**
 * Takes build requests off Kafka, one build slot each, and hands them to the {@link BuildService}.
 * A request is acknowledged (and its offset committed) only once the build's outcome was announced,
 * so a worker that dies mid-build leaves the request to be redelivered, and one that shuts down
 * leaves the requests it handed back unacknowledged; a malformed request goes to the dead-letter
 * topic. An outage of S3 or Kafka is waited out in the service and never dead-letters a request.
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
        } catch (BuildHandedBackException e) {
            // Neither acknowledged nor dead-lettered: the offset stays uncommitted, and once this
            // worker's consumer has left the group the next worker gets the request again.
            LOG.infof("%s; its request is left unacknowledged for the next worker", e.getMessage());
            return new CompletableFuture<>();
        } catch (RuntimeException e) {
            // A request the worker cannot handle at all (an invalid build id, a bug); outages are waited out.
            LOG.errorf(e, "build %s: dead-lettering its request", request.build().buildId());
            return message.nack(e);
        }
    }
}
