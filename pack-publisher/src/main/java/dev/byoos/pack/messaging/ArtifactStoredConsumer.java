package dev.byoos.pack.messaging;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

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
import dev.byoos.pack.config.PublisherConfig;
import dev.byoos.pack.observability.PackMetrics;
import dev.byoos.pack.registry.RegistryException;
import dev.byoos.pack.registry.RegistryUnavailableException;
import dev.byoos.pack.repository.PackCatalog;
import dev.byoos.pack.render.UnpublishablePackException;
import dev.byoos.pack.service.PackPublisher;

/**
 * Publishes the BYOOS pack of each stored artifact and announces the outcome.
 *
 * <p>A valid event is never dead-lettered because a dependency is down: while the registry (or the
 * catalog's database) is unavailable the publisher waits with capped exponential backoff, tells the
 * build it is waiting ({@code build.progress}, waitingFor {@code registry} or {@code database}), and
 * carries on when it returns.
 * Only records that are no {@code artifact.stored} event at all go to the dead-letter topic. A pack
 * that cannot be published (nothing Palette could resolve, a taken version) fails the build.
 */
@ApplicationScoped
public class ArtifactStoredConsumer {

    public static final String STAGE = "pack";
    public static final String WAITING_FOR_REGISTRY = "registry";
    public static final String WAITING_FOR_DATABASE = "database";
    private static final Logger LOG = Logger.getLogger(ArtifactStoredConsumer.class);
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(60);

    @Inject
    PublisherConfig config;

    @Inject
    PackPublisher publisher;

    @Inject
    @Channel(Topics.PACKS_PUBLISHED)
    MutinyEmitter<String> published;

    @Inject
    @Channel(Topics.BUILDS_FAILED)
    MutinyEmitter<String> failures;

    @Inject
    @Channel(Topics.BUILDS_PROGRESS)
    MutinyEmitter<String> progress;

    @Inject
    PackMetrics metrics;

    private final Object shutdown = new Object();
    private volatile boolean stopping;

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
        for (int attempt = 1; ; attempt++) {
            try {
                PackPublisher.Publication publication = publisher.publish(artifact);
                send(published, CloudEventMessages.forBuild(buildId, EventTypes.PACK_PUBLISHED, new PackPublished(
                        artifact.build(), publication.reference(), publication.manifestDigest(),
                        publication.osImageOverride())));
                handled(artifact, publication.pushed() ? PackMetrics.PUBLISHED : PackMetrics.ALREADY_PUBLISHED,
                        started);
                return message.ack();
            } catch (UnpublishablePackException e) {
                LOG.warnf("build %s: %s: %s", buildId, e.code(), e.getMessage());
                handled(artifact, PackPublisher.VERSION_CONFLICT.equals(e.code()) ? PackMetrics.CONFLICT
                        : PackMetrics.UNPUBLISHABLE, started);
                return fail(message, artifact, e.code(), e.getMessage(), e.retryable(), e.category(), attempt);
            } catch (RegistryUnavailableException | PackCatalog.CatalogUnavailableException e) {
                Duration backoff = backoff(attempt);
                String waitingFor = e instanceof RegistryUnavailableException ? WAITING_FOR_REGISTRY : WAITING_FOR_DATABASE;
                LOG.warnf("build %s: attempt %d: %s; next attempt in %s", buildId, attempt, e.getMessage(), backoff);
                metrics.waited(artifact.build(), waitingFor);
                announceWaiting(artifact, waitingFor, attempt, e.getMessage(), backoff);
                if (!sleep(backoff)) {
                    // Not acknowledged: the record is delivered again after the restart.
                    LOG.infof("build %s: stopping while the registry is unavailable; left for redelivery", buildId);
                    return new CompletableFuture<>();
                }
            } catch (RegistryException e) {
                LOG.warnf("build %s: registry refused the pack: %s", buildId, e.getMessage());
                handled(artifact, PackMetrics.REJECTED, started);
                return fail(message, artifact, "PACK_PUSH_REJECTED", "the registry refused the pack: " + e.getMessage(),
                        true, BuildFailed.INFRASTRUCTURE, attempt);
            }
        }
    }

    private void handled(ArtifactStored artifact, String outcome, long startedNanos) {
        metrics.handled(artifact.build(), outcome, Duration.ofNanos(System.nanoTime() - startedNanos));
    }

    /** {@code initial × 2^(attempt-1)}, capped. */
    Duration backoff(int attempt) {
        Duration initial = config.retry().initialBackoff();
        Duration cap = config.retry().maxBackoff();
        int doublings = Math.min(attempt - 1, 30);
        Duration wait = initial.multipliedBy(1L << doublings);
        return wait.compareTo(cap) > 0 || wait.isNegative() ? cap : wait;
    }

    private CompletionStage<Void> fail(Message<String> message, ArtifactStored artifact, String code, String reason,
            boolean retryable, String category, int attempts) {
        send(failures, CloudEventMessages.forBuild(artifact.build().buildId(), EventTypes.BUILD_FAILED,
                new BuildFailed(artifact.build(), STAGE, code, reason, retryable, category, attempts)));
        return message.ack();
    }

    /**
     * Progress is informational: each announcement gets its own id (a later one supersedes it), and
     * one that cannot be sent is not worth failing the wait for.
     */
    private void announceWaiting(ArtifactStored artifact, String waitingFor, int attempt, String problem,
            Duration backoff) {
        String buildId = artifact.build().buildId();
        BuildProgress waiting = new BuildProgress(artifact.build(), STAGE, "push", 0, waitingFor,
                "attempt " + attempt + " failed (" + problem + "); trying again in " + backoff.toSeconds() + " s");
        try {
            send(progress, CloudEventMessages.withId(UUID.randomUUID().toString(), buildId,
                    EventTypes.BUILD_PROGRESS, EventJson.write(waiting)));
        } catch (RuntimeException e) {
            LOG.warnf("build %s: could not announce the wait for the registry: %s", buildId, e.getMessage());
        }
    }

    /** @return false when the service is stopping */
    private boolean sleep(Duration duration) {
        long deadline = System.nanoTime() + duration.toNanos();
        synchronized (shutdown) {
            while (!stopping) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return true;
                }
                try {
                    shutdown.wait(Math.max(1, remaining / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return false;
        }
    }

    @PreDestroy
    void stopWaiting() {
        synchronized (shutdown) {
            stopping = true;
            shutdown.notifyAll();
        }
    }

    private static void send(MutinyEmitter<String> emitter, Message<String> event) {
        emitter.sendMessage(event).await().atMost(SEND_TIMEOUT);
    }
}
