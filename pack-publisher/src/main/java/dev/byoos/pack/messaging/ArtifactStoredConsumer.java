package dev.byoos.pack.messaging;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.annotations.Blocking;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildProgress;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackPublished;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;
import dev.byoos.messaging.KafkaSends;
import dev.byoos.messaging.resilience.Backoff;
import dev.byoos.messaging.resilience.DependencyFailures;
import dev.byoos.messaging.resilience.DependencyUnavailableException;
import dev.byoos.messaging.resilience.DependencyWait;
import dev.byoos.messaging.resilience.StopSignal;
import dev.byoos.messaging.resilience.WaitAbandonedException;
import dev.byoos.messaging.resilience.Waiting;
import dev.byoos.pack.config.PublisherConfig;
import dev.byoos.pack.observability.PackMetrics;
import dev.byoos.pack.service.PackPublisher;
import dev.byoos.pack.service.PackPublishing;
import dev.byoos.pack.service.WaitingDependencies;

/**
 * Hands each stored artifact to {@link PackPublishing} and announces the outcome:
 * {@code pack.published}, or {@code build.failed} at stage {@value #STAGE}; while publishing waits
 * for a dependency, {@code build.progress} says what for.
 *
 * <p>Only records that are no {@code artifact.stored} event at all go to the dead-letter topic. The
 * message is acknowledged once the outcome was written; an event whose wait the shutdown ended is
 * left unacknowledged and delivered again after the restart. Kafka not taking the outcome is an
 * outage like the registry's: waited out, with the service not ready meanwhile, and the outcome sent
 * again (its id is the build's, so a copy that did get through is dropped downstream). Failing the
 * message instead would end this channel's stream (the method takes its messages whole), and
 * nothing would be published until a restart.
 */
@ApplicationScoped
public class ArtifactStoredConsumer {

    public static final String STAGE = "pack";
    private static final Logger LOG = Logger.getLogger(ArtifactStoredConsumer.class);

    private final PackPublishing publishing;
    /** Counted here, once the outcome is announced: the publish time runs from the event to its outcome. */
    private final PackMetrics metrics;
    private final MutinyEmitter<String> published;
    private final MutinyEmitter<String> failures;
    private final MutinyEmitter<String> progress;
    private final WaitingDependencies waitingDependencies;
    private final Duration announceTimeout;
    private final Backoff backoff;
    /** Ends every wait for Kafka when the service stops: the event is left unacknowledged, for redelivery. */
    private final StopSignal stopping = new StopSignal();

    public ArtifactStoredConsumer(PackPublishing publishing, PackMetrics metrics, WaitingDependencies waitingDependencies,
            PublisherConfig config,
            @Channel(Topics.PACKS_PUBLISHED) MutinyEmitter<String> published,
            @Channel(Topics.BUILDS_FAILED) MutinyEmitter<String> failures,
            @Channel(Topics.BUILDS_PROGRESS) MutinyEmitter<String> progress) {
        this.publishing = publishing;
        this.metrics = metrics;
        this.waitingDependencies = waitingDependencies;
        this.announceTimeout = config.announceTimeout();
        this.backoff = new Backoff(config.retry().initialBackoff(), config.retry().maxBackoff());
        this.published = published;
        this.failures = failures;
        this.progress = progress;
    }

    @Incoming(Topics.ARTIFACTS_STORED)
    @Blocking(value = "publishing", ordered = false)
    public CompletionStage<Void> onArtifactStored(Message<String> message) {
        ArtifactStored artifact;
        try {
            artifact = CloudEventMessages.read(message, EventTypes.ARTIFACT_STORED, ArtifactStored.class);
        } catch (RuntimeException e) {
            LOG.warnf("dead-lettering artifact.stored: %s", e.getMessage());
            return message.nack(e);
        }
        String buildId = artifact.build().buildId();
        // From the event to its outcome, waits for the registry or the database included.
        long started = System.nanoTime();
        try {
            PackPublishing.Outcome outcome = publishing.publish(artifact, waiting -> announceWaiting(artifact, waiting));
            if (outcome instanceof PackPublishing.Published done) {
                PackPublisher.Publication publication = done.publication();
                announce(artifact, published, CloudEventMessages.forBuild(buildId, EventTypes.PACK_PUBLISHED,
                        new PackPublished(artifact.build(), publication.reference(), publication.manifestDigest(),
                                publication.osImageOverride())));
                handled(artifact, outcome, started);
            } else if (outcome instanceof PackPublishing.Failed failed) {
                handled(artifact, outcome, started);
                announce(artifact, failures, CloudEventMessages.forBuild(buildId, EventTypes.BUILD_FAILED,
                        new BuildFailed(artifact.build(), STAGE, failed.code(), failed.reason(), failed.retryable(),
                                failed.category(), failed.attempts())));
            }
        } catch (WaitAbandonedException e) {
            LOG.infof("build %s: stopping while waiting for %s; left for redelivery", buildId,
                    DependencyFailures.unavailable(e.getCause()).map(DependencyUnavailableException::dependency)
                            .orElse("a dependency"));
            return new CompletableFuture<>();
        } catch (RuntimeException e) {
            // An outcome no broker would take (too large), or a failure nothing here expected: thrown
            // from this method it would end the channel's stream for every team's builds.
            LOG.errorf(e, "build %s: dead-lettering artifact.stored: %s", buildId, e.getMessage());
            return message.nack(e);
        }
        return message.ack();
    }

    /**
     * Sends the outcome, waiting out Kafka for as long as it does not take it ({@link KafkaSends});
     * only an event no broker would take fails.
     *
     * @throws WaitAbandonedException when the service stops while waiting
     */
    private void announce(ArtifactStored artifact, MutinyEmitter<String> emitter, Message<String> event) {
        AtomicBoolean waited = new AtomicBoolean();
        DependencyWait wait = new DependencyWait(backoff, waiting -> {
            LOG.warnf("build %s: Kafka did not take the outcome (attempt %d: %s); sending it again in %s",
                    artifact.build().buildId(), waiting.attempt(), waiting.failure().getMessage(), waiting.nextAttemptIn());
            metrics.waited(artifact.build(), KafkaSends.KAFKA);
            if (waited.compareAndSet(false, true)) {
                waitingDependencies.begin(KafkaSends.KAFKA);
            }
        });
        try {
            wait.call(() -> {
                KafkaSends.sendAndWait(emitter, event, announceTimeout);
                return null;
            }, stopping);
        } finally {
            if (waited.get()) {
                waitingDependencies.end(KafkaSends.KAFKA);
            }
        }
    }

    private void handled(ArtifactStored artifact, PackPublishing.Outcome outcome, long startedNanos) {
        metrics.handled(artifact.build(), outcome.metric(), Duration.ofNanos(System.nanoTime() - startedNanos));
    }

    /**
     * Progress is informational: each announcement gets its own id (a later one supersedes it), and
     * one that cannot be sent is not worth failing the wait for.
     */
    private void announceWaiting(ArtifactStored artifact, Waiting waiting) {
        String buildId = artifact.build().buildId();
        BuildProgress announcement = new BuildProgress(artifact.build(), STAGE, "push", 0, waiting.dependency(),
                "attempt " + waiting.attempt() + " failed (" + waiting.failure().getMessage() + "); trying again in "
                        + waiting.nextAttemptIn().toSeconds() + " s");
        try {
            KafkaSends.sendAndWait(progress, CloudEventMessages.withId(UUID.randomUUID().toString(), buildId,
                    EventTypes.BUILD_PROGRESS, EventJson.write(announcement)), announceTimeout);
        } catch (RuntimeException e) {
            LOG.warnf("build %s: could not announce the wait for the %s: %s", buildId, waiting.dependency(),
                    e.getMessage());
        }
    }

    @PreDestroy
    void stopWaiting() {
        stopping.stop();
    }
}
