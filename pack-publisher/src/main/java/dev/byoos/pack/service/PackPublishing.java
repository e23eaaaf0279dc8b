package dev.byoos.pack.service;

import java.util.concurrent.atomic.AtomicInteger;

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
import dev.byoos.pack.config.PublisherConfig;
import dev.byoos.pack.observability.PackMetrics;
import dev.byoos.pack.registry.RegistryException;
import dev.byoos.pack.render.UnpublishablePackException;

/**
 * Publishes the pack of a stored artifact and says what became of it, for the consumer to announce.
 *
 * <p>A dependency that is down never fails the build: while the registry (or the catalog's
 * database) is unavailable, publishing waits with capped exponential backoff, tells the build what
 * it waits for ({@code registry} or {@code database}), and carries on when it returns. A pack that
 * cannot be published (nothing Palette could resolve, a taken version) or that the registry
 * refuses fails the build.
 */
@ApplicationScoped
public class PackPublishing {

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
    private final Backoff backoff;
    /** Ends every wait when the service stops: the event is left unacknowledged, for redelivery. */
    private final StopSignal stopping = new StopSignal();

    public PackPublishing(PackPublisher publisher, PackMetrics metrics, PublisherConfig config) {
        this.publisher = publisher;
        this.metrics = metrics;
        this.backoff = new Backoff(config.retry().initialBackoff(), config.retry().maxBackoff());
    }

    /**
     * Blocks for as long as a dependency is unavailable.
     *
     * @param waiting told of each wait, before it starts (to announce it)
     * @throws WaitAbandonedException when the service stops while waiting
     */
    @WithSpan
    public Outcome publish(ArtifactStored artifact, WaitListener waiting) {
        BuildCoordinates build = artifact.build();
        AtomicInteger attempts = new AtomicInteger(1);
        // One wait per event: its listener speaks for this build.
        DependencyWait wait = new DependencyWait(backoff, pause -> {
            LOG.warnf("build %s: attempt %d: %s; next attempt in %s", build.buildId(), pause.attempt(),
                    pause.failure().getMessage(), pause.nextAttemptIn());
            metrics.waited(build, pause.dependency());
            attempts.set(pause.attempt() + 1);
            waiting.waiting(pause);
        });
        try {
            return new Published(wait.call(() -> publisher.publish(artifact), stopping));
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
            return new Failed("PACK_PUSH_REJECTED", "the registry refused the pack: " + e.getMessage(), true,
                    BuildFailed.INFRASTRUCTURE, attempts.get(), PackMetrics.REJECTED);
        }
    }

    @PreDestroy
    void stopWaiting() {
        stopping.stop();
    }
}
