package dev.byoos.artifact.messaging;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;

import dev.byoos.artifact.config.AnnounceConfig;
import dev.byoos.artifact.repository.DatabaseFailures.DatabaseUnavailableException;
import dev.byoos.artifact.service.ArtifactIntake;
import dev.byoos.artifact.service.DependencyWaits;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildProgress;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventJson.MalformedEventException;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;
import dev.byoos.messaging.KafkaSends;
import dev.byoos.messaging.resilience.Waiting;

/**
 * Hands each completed build to {@link ArtifactIntake} and announces the outcome:
 * {@code artifact.stored}, or {@code build.failed} when what the build staged cannot become an
 * artifact.
 *
 * <ul>
 *   <li>While S3 or the database is unreachable the event waits, never dead-lettered; each failed
 *       attempt announces {@code build.progress} waiting for {@code s3} or {@code database}. The
 *       partition waits with it: later builds could not be stored either.</li>
 *   <li>The message is acknowledged only after the outcome event was written; while Kafka does not
 *       take it, it is sent again after a pause, readiness down meanwhile (waiting for
 *       {@code kafka}). Malformed events are dead-lettered to {@code byoos.builds.completed.dlq}.</li>
 * </ul>
 */
@ApplicationScoped
public class BuildCompletedConsumer {

    private static final Logger LOG = Logger.getLogger(BuildCompletedConsumer.class);

    private final MutinyEmitter<String> stored;
    private final MutinyEmitter<String> failures;
    /** Waits for S3 or the database; sent without holding the wait for the broker's answer. */
    private final MutinyEmitter<String> progress;
    private final ArtifactIntake intake;
    private final DependencyWaits waits;
    private final Duration announceTimeout;

    public BuildCompletedConsumer(@Channel(Topics.ARTIFACTS_STORED) MutinyEmitter<String> stored,
            @Channel(Topics.BUILDS_FAILED) MutinyEmitter<String> failures,
            @Channel(Topics.BUILDS_PROGRESS) MutinyEmitter<String> progress, ArtifactIntake intake,
            DependencyWaits waits, AnnounceConfig announce) {
        this.stored = stored;
        this.failures = failures;
        this.progress = progress;
        this.intake = intake;
        this.waits = waits;
        this.announceTimeout = announce.timeout();
    }

    @Incoming(Topics.BUILDS_COMPLETED)
    public Uni<Void> onBuildCompleted(Message<String> message) {
        return ConsumedMessages.settle(message, "build.completed", () -> {
            BuildCompleted event = parse(message);
            return intake.store(event, waiting -> announceWaiting(event, waiting))
                    .flatMap(outcome -> announce(event, outcome).invoke(() -> intake.counted(outcome)));
        });
    }

    private static BuildCompleted parse(Message<String> message) {
        BuildCompleted event = CloudEventMessages.read(message, EventTypes.BUILD_COMPLETED, BuildCompleted.class);
        ConsumedMessages.requireUuid(event.build().buildId());
        if (event.provenance() != null) {
            requireInstant(event.provenance().startedAt(), "provenance.startedAt");
            requireInstant(event.provenance().finishedAt(), "provenance.finishedAt");
        }
        return event;
    }

    private static void requireInstant(String value, String field) {
        try {
            Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new MalformedEventException(field + " is not an ISO-8601 instant: " + value, e);
        }
    }

    /**
     * A recorded artifact's announcement is the same event after every redelivery. Kafka not taking
     * it is waited out ({@link KafkaSends}): dead-lettering the build.completed instead would leave
     * an artifact stored and never announced.
     */
    private Uni<Void> announce(BuildCompleted event, ArtifactIntake.Outcome outcome) {
        String buildId = event.build().buildId();
        Message<String> announcement;
        MutinyEmitter<String> emitter;
        if (outcome instanceof ArtifactIntake.Stored artifact) {
            emitter = stored;
            announcement = CloudEventMessages.forBuild(buildId, EventTypes.ARTIFACT_STORED, artifact.announcement());
        } else {
            emitter = failures;
            announcement = CloudEventMessages.forBuild(buildId, EventTypes.BUILD_FAILED,
                    ((ArtifactIntake.Rejected) outcome).failure());
        }
        return waits.kafka(() -> KafkaSends.send(emitter, announcement, announceTimeout), waiting -> LOG.warnf(
                "build %s: Kafka did not take the outcome (attempt %d: %s); sending it again in %s", buildId,
                waiting.attempt(), waiting.failure().getMessage(), waiting.nextAttemptIn()));
    }

    /** Informational: a lost progress event changes nothing, so a failure to send one is only logged. */
    private void announceWaiting(BuildCompleted event, Waiting waiting) {
        String what = DatabaseUnavailableException.DEPENDENCY.equals(waiting.dependency()) ? "The database" : "S3";
        BuildProgress announcement = new BuildProgress(event.build(), ArtifactIntake.STAGE, "verify", 0,
                waiting.dependency(), what + " is unavailable (attempt " + waiting.attempt()
                        + "); the artifact is stored as soon as it returns");
        progress.sendMessage(CloudEventMessages.withId(UUID.randomUUID().toString(), event.build().buildId(),
                        EventTypes.BUILD_PROGRESS, EventJson.write(announcement)))
                .subscribe().with(sent -> {
                }, failure -> LOG.debugf("progress not sent: %s", failure.getMessage()));
    }
}
