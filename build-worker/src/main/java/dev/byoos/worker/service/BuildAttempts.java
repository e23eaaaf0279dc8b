package dev.byoos.worker.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.opentelemetry.instrumentation.annotations.WithSpan;

import dev.byoos.contract.BuildFailed;
import dev.byoos.messaging.resilience.Backoff;
import dev.byoos.messaging.resilience.DependencyFailures;
import dev.byoos.messaging.resilience.DependencyWait;
import dev.byoos.messaging.resilience.WaitAbandonedException;
import dev.byoos.messaging.resilience.Waiting;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.BuildCancelledException;
import dev.byoos.worker.config.WorkerConfig;
import dev.byoos.worker.observability.WorkerMetrics;
import dev.byoos.worker.storage.ScratchSpace;

/**
 * Tries a build until it completes, fails for a reason retrying cannot fix, or runs out of
 * attempts: infrastructure failures (mirror, S3, disk, registry) are waited out with
 * {@link DependencyWait}, a growing pause between attempts, and each wait is announced as
 * progress. Every attempt starts in a fresh scratch directory: a failed attempt's half-customized
 * tree is never built on.
 */
@ApplicationScoped
public class BuildAttempts {

    private static final Logger LOG = Logger.getLogger(BuildAttempts.class);
    static final String STAGE = "build";
    /** How often a pause between attempts looks for a cancellation. */
    private static final Duration PAUSE_SLICE = Duration.ofMillis(200);

    private final WorkerConfig config;
    private final ScratchSpace scratch;
    private final ImageBuild imageBuild;
    private final BuildEvents events;
    private final WorkerMetrics metrics;
    private final OutageWaits outages;

    BuildAttempts(WorkerConfig config, ScratchSpace scratch, ImageBuild imageBuild, BuildEvents events,
            WorkerMetrics metrics, OutageWaits outages) {
        this.config = config;
        this.scratch = scratch;
        this.imageBuild = imageBuild;
        this.events = events;
        this.metrics = metrics;
        this.outages = outages;
    }

    /**
     * @return the outcome the build's duration is recorded with: {@link WorkerMetrics#SUCCEEDED},
     *         {@link WorkerMetrics#FAILED} (after the last attempt, or out of time) or
     *         {@link WorkerMetrics#CANCELLED}
     */
    @WithSpan("build.attempts")
    String run(RunningBuild build) {
        BuildCancellation cancellation = build.cancellation();
        WorkerConfig.Retry retry = config.retry();
        DependencyWait wait = new DependencyWait(new Backoff(retry.initialBackoff(), retry.maxBackoff()),
                waiting -> announceRetry(build, waiting));
        AtomicInteger attempts = new AtomicInteger();
        try {
            wait.call(attempt -> {
                attempts.set(attempt);
                return attempt(build, attempt);
            }, pause -> pause(pause, cancellation), retry.maxAttempts(),
                    failure -> DependencyFailures.isTransient(failure) && !cancellation.isCancelled());
            return WorkerMetrics.SUCCEEDED;
        } catch (WaitAbandonedException e) {
            // Stopped in the pause before the next attempt, which counts as begun.
            return stopped(build, attempts.get() + 1);
        } catch (BuildCancelledException e) {
            return stopped(build, attempts.get());
        } catch (LeaseLostException e) {
            throw e;
        } catch (RuntimeException e) {
            return failed(build, FailureClassifier.of(e), e, attempts.get());
        }
    }

    /** @throws RuntimeException what {@link FailureClassifier.Failure#asAttemptFailure} makes of the failure */
    private Void attempt(RunningBuild build, int attempt) {
        if (attempt > 1) {
            build.log().line("attempt " + attempt + " of " + config.retry().maxAttempts());
        }
        boolean keepScratch = false;
        Path workDir = null;
        try {
            requireFreeDisk();
            workDir = scratch.create(build.buildId(), build.lease().attempt());
            imageBuild.buildAndAnnounce(build, workDir);
            return null;
        } catch (BuildCancelledException | LeaseLostException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            if (build.cancellation().handedBack()) {
                // Whatever stopping the build broke is no failure of the build: it is handed back.
                throw new BuildCancelledException();
            }
            FailureClassifier.Failure failure = FailureClassifier.classify(
                    e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e);
            boolean last = !failure.retryable() || attempt >= config.retry().maxAttempts()
                    || build.cancellation().isCancelled();
            keepScratch = last && config.keepFailedScratch();
            throw failure.asAttemptFailure(e);
        } finally {
            if (workDir != null && !keepScratch) {
                scratch.remove(workDir);
            }
        }
    }

    /** An attempt failed for a reason the worker waits out: said in the log, the metrics and the progress. */
    private void announceRetry(RunningBuild build, Waiting waiting) {
        FailureClassifier.Failure failure = FailureClassifier.of((RuntimeException) waiting.failure());
        LOG.warnf("build %s: attempt %d failed (%s: %s); retrying", build.buildId(), waiting.attempt(), failure.code(),
                failure.reason());
        build.log().line("attempt " + waiting.attempt() + " failed: " + failure.code() + ": " + failure.reason());
        // The pause before the next attempt is no phase of the build.
        build.log().endPhase();
        metrics.retried(build.coordinates(), failure.category(), failure.code());
        build.progress().waiting("retry", 0, waiting.dependency(), "attempt " + waiting.attempt() + " failed ("
                + failure.code() + "); trying again in " + waiting.nextAttemptIn().toSeconds() + " s");
    }

    /**
     * Cancelled by its user (nothing to announce), stopped because another worker took the lease
     * over (nothing to announce either), or out of time (a failure to announce).
     *
     * @throws LeaseLostException when this attempt lost its lease
     */
    private String stopped(RunningBuild build, int attempts) {
        build.lease().throwIfLost();
        if (build.cancellation().handedBack()) {
            throw new BuildHandedBackException(build.buildId(), "the worker shut down before it finished");
        }
        if (!build.cancellation().timedOut()) {
            LOG.infof("build %s: stopped, it was cancelled", build.buildId());
            return WorkerMetrics.CANCELLED;
        }
        LOG.warnf("build %s: out of time after %s", build.buildId(), config.buildTimeout());
        String reason = "the build did not finish within " + readable(config.buildTimeout())
                + " (byoos.worker.build-timeout) and was stopped while in phase '" + build.progress().currentPhase()
                + "'; every script stays within its own timeout, so downloads or the worker were too"
                + " slow: retry, or ask the operators for more time";
        announceFailure(build, new BuildFailed(build.coordinates(), STAGE, "BUILD_TIMEOUT", reason, true,
                BuildFailed.INFRASTRUCTURE, attempts));
        metrics.failed(build.coordinates(), BuildFailed.INFRASTRUCTURE, "BUILD_TIMEOUT");
        return WorkerMetrics.FAILED;
    }

    /** @throws LeaseLostException when this attempt lost its lease: the failure is not this attempt's to report */
    private String failed(RunningBuild build, FailureClassifier.Failure failure, RuntimeException attemptFailure,
            int attempts) {
        build.lease().throwIfLost();
        if (build.cancellation().handedBack()) {
            throw new BuildHandedBackException(build.buildId(), "the worker shut down before it finished");
        }
        if (failure.category().equals(BuildFailed.BUILDER)) {
            LOG.errorf(attemptFailure.getCause() != null ? attemptFailure.getCause() : attemptFailure,
                    "build %s failed: %s", build.buildId(), failure.code());
        } else {
            LOG.warnf("build %s failed: %s: %s", build.buildId(), failure.code(), failure.reason());
        }
        String reason = failure.retryable()
                ? failure.reason() + " (gave up after " + attempts + (attempts == 1 ? " attempt)" : " attempts)")
                : failure.reason();
        BuildCancellation cancellation = build.cancellation();
        boolean cancelledByItsUser = cancellation.isCancelled() && !cancellation.timedOut();
        if (cancelledByItsUser) {
            // A build cancelled by its user while it failed has no failure to report: it is cancelled.
            return WorkerMetrics.CANCELLED;
        }
        announceFailure(build, new BuildFailed(build.coordinates(), STAGE, failure.code(), reason,
                failure.retryable(), failure.category(), attempts));
        metrics.failed(build.coordinates(), failure.category(), failure.code());
        return WorkerMetrics.FAILED;
    }

    /**
     * The fence, then the event, each waiting out an S3 or Kafka outage: a build that failed stays
     * failed until it is said. Only the worker's shutdown ends the wait (the build is handed back).
     */
    private void announceFailure(RunningBuild build, BuildFailed failed) {
        try {
            outages.run("the build's failure", build.buildId(), build.progress(), () -> false, () -> {
                build.lease().confirm();
                events.failed(failed);
            });
        } catch (WaitAbandonedException e) {
            throw new BuildHandedBackException(build.buildId(), "the worker shut down before it could say the build"
                    + " failed");
        }
    }

    /** @throws BuildException INFRASTRUCTURE INSUFFICIENT_DISK, retried like any other infrastructure failure */
    private void requireFreeDisk() throws IOException {
        long usable = Files.getFileStore(Files.createDirectories(config.scratchDir())).getUsableSpace();
        if (usable < config.minFreeDiskBytes()) {
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "INSUFFICIENT_DISK", "the worker has "
                    + usable + " bytes free for builds, fewer than the " + config.minFreeDiskBytes()
                    + " a build may need (byoos.worker.min-free-disk-bytes); it waits for other builds to finish and"
                    + " the image cache to shrink, then tries again", null);
        }
    }

    /** Sleeps; @return false, early, once the build is cancelled or runs out of time */
    private static boolean pause(Duration pause, BuildCancellation cancellation) {
        long until = System.nanoTime() + pause.toNanos();
        try {
            for (long left; (left = until - System.nanoTime()) > 0;) {
                if (cancellation.isCancelled()) {
                    return false;
                }
                Thread.sleep(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, PAUSE_SLICE.toMillis()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return !cancellation.isCancelled();
    }

    /** {@code 1h30m}, {@code 20s}: a duration as the configuration writes it. */
    static String readable(Duration duration) {
        return duration.toString().substring(2).toLowerCase(Locale.ROOT);
    }
}
