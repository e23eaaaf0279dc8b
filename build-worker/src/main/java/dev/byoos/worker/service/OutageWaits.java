package dev.byoos.worker.service;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.byoos.messaging.resilience.Backoff;
import dev.byoos.messaging.resilience.DependencyFailures;
import dev.byoos.messaging.resilience.DependencyUnavailableException;
import dev.byoos.messaging.resilience.DependencyWait;
import dev.byoos.messaging.resilience.WaitAbandonedException;
import dev.byoos.messaging.resilience.Waiting;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.config.WorkerConfig;
import dev.byoos.worker.observability.WorkerMetrics;
import dev.byoos.worker.storage.StagingStore;

/**
 * Every step of handling a request that needs S3 or Kafka (the lease, the completion check, the
 * staging uploads, the completion record, the sends of started, completed and failed) runs through
 * here: an outage ({@code STORAGE_UNAVAILABLE}, or a {@link DependencyUnavailableException} such as
 * the publisher's for Kafka) is waited out with {@link DependencyWait}, for as long as it lasts,
 * and said in the log, {@code byoos_dependency_waits_total}, the build's progress and the
 * readiness check ({@link #waitingFor()}). The request stays unacknowledged meanwhile: it is never
 * dead-lettered for an outage. Any other failure is the caller's at once.
 */
@ApplicationScoped
public class OutageWaits {

    private static final Logger LOG = Logger.getLogger(OutageWaits.class);
    /** How often a pause looks whether its wait should end (a cancellation, the worker stopping). */
    private static final Duration PAUSE_SLICE = Duration.ofMillis(200);

    private final Backoff backoff;
    private final WorkerMetrics metrics;
    /** What each wait going on now waits for, by the wait. */
    private final Map<Object, String> waits = new ConcurrentHashMap<>();
    private volatile boolean stopped;

    OutageWaits(WorkerConfig config, WorkerMetrics metrics) {
        this.backoff = new Backoff(config.outageWait().initialBackoff(), config.outageWait().maxBackoff());
        this.metrics = metrics;
    }

    /**
     * Runs {@code action} until it succeeds or fails for a reason other than an outage.
     *
     * @param step     what is done, for the log and the progress ({@code "the completion check"})
     * @param build    the build it is done for
     * @param progress told of each wait, as {@code waitingFor} the dependency
     * @param giveUp   asked during each pause; true ends the wait (the build was cancelled)
     * @throws WaitAbandonedException when {@code giveUp} said so, or the worker stops ({@link #stop()})
     */
    public <T> T call(String step, String build, ProgressReporter progress, BooleanSupplier giveUp,
            Supplier<T> action) {
        Object wait = new Object();
        DependencyWait dependencyWait = new DependencyWait(backoff, waiting -> waiting(wait, step, build, progress,
                waiting));
        try {
            return dependencyWait.call(() -> {
                try {
                    return action.get();
                } catch (RuntimeException e) {
                    throw outage(e).<RuntimeException>map(dependency -> new DependencyUnavailableException(dependency,
                            e.getMessage(), e)).orElse(e);
                }
            }, pause -> sleep(pause, giveUp));
        } finally {
            if (waits.remove(wait) != null) {
                LOG.infof("build %s: %s went through; no longer waiting", build, step);
            }
        }
    }

    /** {@link #call} for a step without a result. */
    public void run(String step, String build, ProgressReporter progress, BooleanSupplier giveUp, Runnable action) {
        call(step, build, progress, giveUp, () -> {
            action.run();
            return null;
        });
    }

    /** What the waits going on now wait for ({@code s3}, {@code kafka}), in name order; empty when none. */
    public Set<String> waitingFor() {
        return new TreeSet<>(waits.values());
    }

    /** Ends every wait, now and to come: the worker shuts down and hands its requests back. */
    void stop() {
        stopped = true;
    }

    boolean stopped() {
        return stopped;
    }

    /** The dependency an outage behind {@code failure} is of; empty when the failure is no outage. */
    static Optional<String> outage(Throwable failure) {
        Optional<DependencyUnavailableException> down = DependencyFailures.unavailable(failure);
        if (down.isPresent()) {
            return Optional.of(down.get().dependency());
        }
        if (failure instanceof BuildException build && StagingStore.STORAGE_UNAVAILABLE.equals(build.code())) {
            return Optional.of("s3");
        }
        return Optional.empty();
    }

    private void waiting(Object wait, String step, String build, ProgressReporter progress, Waiting waiting) {
        waits.put(wait, waiting.dependency());
        LOG.warnf("build %s: %s is waiting for %s (try %d failed: %s); trying again in %s", build, step,
                waiting.dependency(), waiting.attempt(), waiting.failure().getMessage(), waiting.nextAttemptIn());
        metrics.waited(waiting.dependency());
        progress.waiting(progress.currentPhase(), 0, waiting.dependency(), step + " waits for "
                + waiting.dependency() + " (try " + waiting.attempt() + " failed); trying again in "
                + Math.max(1, waiting.nextAttemptIn().toSeconds()) + " s");
    }

    /** @return false, early, once {@code giveUp} says so or the worker stops */
    private boolean sleep(Duration pause, BooleanSupplier giveUp) {
        long until = System.nanoTime() + pause.toNanos();
        try {
            for (long left; (left = until - System.nanoTime()) > 0;) {
                if (stopped || giveUp.getAsBoolean()) {
                    return false;
                }
                Thread.sleep(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, PAUSE_SLICE.toMillis()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return !stopped && !giveUp.getAsBoolean();
    }
}
