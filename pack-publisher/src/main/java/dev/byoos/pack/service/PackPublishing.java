package dev.byoos.pack.service;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.opentelemetry.instrumentation.annotations.WithSpan;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildFailed;
import dev.byoos.messaging.resilience.Backoff;
import dev.byoos.messaging.resilience.DependencyWait;
import dev.byoos.messaging.resilience.StopSignal;
import dev.byoos.messaging.resilience.WaitAbandonedException;
import dev.byoos.messaging.resilience.WaitListener;
import dev.byoos.messaging.resilience.Waiting;
import dev.byoos.pack.config.PublisherConfig;
import dev.byoos.pack.observability.PackMetrics;
import dev.byoos.pack.registry.RegistryException;
import dev.byoos.pack.registry.RegistryUnavailableException;
import dev.byoos.pack.registry.RepositoryMissingException;
import dev.byoos.pack.render.UnpublishablePackException;

/**
 * Publishes the pack of a stored artifact and says what became of it, for the consumer to announce.
 *
 * <p>A dependency that is down never fails the build: while the registry (or the catalog's
 * database) is unavailable, publishing waits with capped exponential backoff (longer when the
 * registry's {@code Retry-After} asks, up to the cap), tells the build what it waits for
 * ({@code registry} or {@code database}), keeps the service not ready meanwhile, and carries on
 * when it returns. A pack that cannot be published (nothing Palette could resolve, a taken
 * version, a record the catalog refuses) or that the registry refuses fails the build at once.
 */
@ApplicationScoped
public class PackPublishing {

    /** The registry refused the configured credentials, or what they may do (HTTP 401 after the challenge, 403). */
    public static final String REGISTRY_ACCESS_DENIED = "REGISTRY_ACCESS_DENIED";
    /** The registry refused a request for good (another 4xx than 401, 403, 408 and 429). */
    public static final String PUSH_REJECTED = "PACK_PUSH_REJECTED";
    /**
     * A repository the pack goes to does not exist and the registry does not create it on push (404
     * NAME_UNKNOWN to a write, as ECR answers): an operator creates it first (docs/packs.md).
     */
    public static final String REPOSITORY_MISSING = "PACK_REPOSITORY_MISSING";
    private static final Logger LOG = Logger.getLogger(PackPublishing.class);

    /** What became of a stored artifact's pack. */
    public sealed interface Outcome permits Published, Failed {

        /** The {@link PackMetrics} outcome it is counted as. */
        String metric();
    }

    public record Published(PackPublisher.Publication publication) implements Outcome {

        @Override
        public String metric() {
            return publication.pushed() ? PackMetrics.PUBLISHED : PackMetrics.ALREADY_PUBLISHED;
        }
    }

    /** The build fails at the pack stage; the fields are those of {@code build.failed}. */
    public record Failed(String code, String reason, boolean retryable, String category, int attempts,
            String metric) implements Outcome {
    }

    private final PackPublisher publisher;
    private final PackMetrics metrics;
    private final WaitingDependencies waitingDependencies;
    private final Backoff backoff;
    /** The longest a registry's {@code Retry-After} may hold a publication between attempts. */
    private final Duration maxRetryAfter;
    /** Ends every wait when the service stops: the event is left unacknowledged, for redelivery. */
    private final StopSignal stopping = new StopSignal();

    public PackPublishing(PackPublisher publisher, PackMetrics metrics, WaitingDependencies waitingDependencies,
            PublisherConfig config) {
        this.publisher = publisher;
        this.metrics = metrics;
        this.waitingDependencies = waitingDependencies;
        this.backoff = new Backoff(config.retry().initialBackoff(), config.retry().maxBackoff());
        this.maxRetryAfter = config.retry().maxBackoff();
    }

    /**
     * Blocks for as long as a dependency is unavailable; meanwhile the service is not ready.
     *
     * @param waiting told of each wait, before it starts (to announce it)
     * @throws WaitAbandonedException when the service stops while waiting
     */
    @WithSpan
    public Outcome publish(ArtifactStored artifact, WaitListener waiting) {
        BuildCoordinates build = artifact.build();
        AtomicInteger attempts = new AtomicInteger(1);
        AtomicReference<String> waitingFor = new AtomicReference<>();
        // A registry that says when to come back is left alone that long (capped), not less.
        AtomicReference<Duration> nextPause = new AtomicReference<>(Duration.ZERO);
        // One wait per event: its listener speaks for this build.
        DependencyWait wait = new DependencyWait(backoff, pause -> {
            Duration delay = retryAfter(pause.failure()).filter(asked -> asked.compareTo(pause.nextAttemptIn()) > 0)
                    .orElse(pause.nextAttemptIn());
            nextPause.set(delay);
            LOG.warnf("build %s: attempt %d: %s; next attempt in %s", build.buildId(), pause.attempt(),
                    pause.failure().getMessage(), delay);
            metrics.waited(build, pause.dependency());
            attempts.set(pause.attempt() + 1);
            String before = waitingFor.getAndSet(pause.dependency());
            if (!pause.dependency().equals(before)) {
                waitingDependencies.begin(pause.dependency());
                if (before != null) {
                    waitingDependencies.end(before);
                }
            }
            waiting.waiting(new Waiting(pause.dependency(), pause.attempt(), pause.failure(), delay));
        });
        try {
            return new Published(wait.call(() -> publisher.publish(artifact), backoffDelay -> stopping.sleep(
                    nextPause.get().compareTo(backoffDelay) > 0 ? nextPause.get() : backoffDelay)));
        } catch (UnpublishablePackException e) {
            LOG.warnf("build %s: %s: %s", build.buildId(), e.code(), e.getMessage());
            return new Failed(e.code(), e.getMessage(), e.retryable(), e.category(), attempts.get(),
                    switch (e.code()) {
                        case PackPublisher.VERSION_CONFLICT -> PackMetrics.CONFLICT;
                        case PackPublisher.NAME_TAKEN -> PackMetrics.NAME_TAKEN;
                        default -> PackMetrics.UNPUBLISHABLE;
                    });
        } catch (RegistryException e) {
            LOG.warnf("build %s: registry refused the pack: %s", build.buildId(), e.getMessage());
            // Retryable: once an operator fixes the credentials or creates the repository, the same spec publishes.
            String code = e instanceof RepositoryMissingException ? REPOSITORY_MISSING
                    : e.accessDenied() ? REGISTRY_ACCESS_DENIED : PUSH_REJECTED;
            return new Failed(code, e.getMessage(), true, BuildFailed.INFRASTRUCTURE, attempts.get(),
                    PackMetrics.REJECTED);
        } finally {
            if (waitingFor.get() != null) {
                waitingDependencies.end(waitingFor.get());
            }
        }
    }

    private Optional<Duration> retryAfter(Throwable failure) {
        return failure instanceof RegistryUnavailableException registry
                ? registry.retryAfter().map(asked -> asked.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : asked)
                : Optional.empty();
    }

    @PreDestroy
    void stopWaiting() {
        stopping.stop();
    }
}
