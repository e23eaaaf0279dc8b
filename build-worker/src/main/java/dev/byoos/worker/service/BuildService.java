package dev.byoos.worker.service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.runtime.ShutdownEvent;

import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.BuildStarted;
import dev.byoos.contract.EventJson;
import dev.byoos.messaging.resilience.WaitAbandonedException;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.config.WorkerConfig;
import dev.byoos.worker.observability.WorkerMetrics;
import dev.byoos.worker.storage.StagingStore;

/**
 * Runs the build a request asks for, from start to announced outcome. A build that already
 * completed is recognised by its completion record in S3 and announced again instead of built
 * twice; a cancelled build (see {@link CancellationRegistry}) is skipped, or stopped where it is,
 * and announces nothing: spec-service marked it cancelled already. A build still running after
 * {@code byoos.worker.build-timeout} is stopped and fails.
 *
 * <p>A trace shows the build ({@code build}), its attempts, each attempt's phases (base, layers,
 * image, boot-test, push, upload: {@link PhaseSpans}) and the staging of its outputs.
 *
 * <p>A build id is built at most once at a time on a worker: a request delivered again while its
 * build runs here is left to that build. Across workers, {@link BuildLeases} lets one attempt at a
 * time hold the build: a delivery whose build another worker's live attempt holds waits, without
 * building, until that attempt ends (then it is done: that attempt announced the outcome) or its
 * lease expires (a crashed worker: it takes the build over as the next attempt). It waits rather
 * than being acknowledged at once because acknowledging would commit the request's offset: were
 * the other worker to die afterwards, nobody would be left to build it. The lease is renewed while
 * the build runs; an attempt that loses it to a later one stops and announces nothing.
 *
 * <p>Every step that needs S3 or Kafka (the lease, the completion check, the announcements) waits
 * out an outage ({@link OutageWaits}) rather than failing; S3 refusing for good (STORAGE_REFUSED)
 * fails the build at once. A build whose earlier attempts died with their workers
 * {@code byoos.worker.max-crashed-attempts} times fails (WORKER_CRASHED) instead of being built
 * again. At shutdown a build that does not finish within the grace period is handed back
 * ({@link BuildHandedBackException}): its request must then stay unacknowledged.
 */
@ApplicationScoped
public class BuildService {

    private static final Logger LOG = Logger.getLogger(BuildService.class);
    /** The span attribute that names the build a trace is about. */
    static final String BUILD_ID = "byoos.build.id";
    /** How often a delivery waiting for another worker's attempt looks for a cancellation. */
    private static final Duration CANCELLATION_CHECK = Duration.ofMillis(200);
    /** How long stopped builds get to unwind (kill their processes, give their leases up) at shutdown. */
    private static final Duration HAND_BACK_TIME = Duration.ofSeconds(20);
    /** The code of a build whose attempts took their workers down with them. */
    static final String WORKER_CRASHED = "WORKER_CRASHED";

    private final WorkerConfig config;
    private final CancellationRegistry cancellations;
    private final BuildOutputs outputs;
    private final BuildAttempts attempts;
    private final BuildEvents events;
    private final BuildLeases leases;
    private final WorkerMetrics metrics;
    private final OutageWaits outages;
    private final Tracer tracer;
    /**
     * The builds running on this worker. Kafka delivers a request at least once: a second delivery
     * while the first is being built (the consumer takes records out of order) must not start a
     * second attempt beside it, which would share its scratch directory, cancellation and staging keys.
     */
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    /** Set at SIGTERM: no build starts any more. */
    private volatile boolean shuttingDown;
    /** Stops builds that run out of time (byoos.worker.build-timeout). */
    private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "build-deadlines");
        thread.setDaemon(true);
        return thread;
    });
    /** Renews the leases of running builds; apart from the deadlines, which S3 calls must not hold up. */
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "lease-heartbeats");
        thread.setDaemon(true);
        return thread;
    });

    BuildService(WorkerConfig config, CancellationRegistry cancellations, BuildOutputs outputs, BuildAttempts attempts,
            BuildEvents events, BuildLeases leases, WorkerMetrics metrics, OutageWaits outages, Tracer tracer) {
        this.config = config;
        this.cancellations = cancellations;
        this.outputs = outputs;
        this.attempts = attempts;
        this.events = events;
        this.leases = leases;
        this.metrics = metrics;
        this.outages = outages;
        this.tracer = tracer;
    }

    /**
     * SIGTERM: requests delivered from now on are handed back at once; the builds in progress get
     * {@code byoos.worker.shutdown-grace-period} to finish (Kafka and S3 are still there: the
     * messaging connector closes after this returns), then are stopped and handed back: their
     * requests stay unacknowledged, their leases are given up, so the next worker starts them at
     * once rather than after the lease expires.
     */
    void onShutdown(@Observes ShutdownEvent shutdown) {
        shuttingDown = true;
        if (!awaitIdle(config.shutdownGracePeriod())) {
            LOG.warnf("shutting down: builds %s did not finish within %s (byoos.worker.shutdown-grace-period);"
                    + " handing them back", running, config.shutdownGracePeriod());
            cancellations.handBackAll();
            outages.stop();
            awaitIdle(HAND_BACK_TIME);
        }
    }

    /** @return whether no build runs here any more, waiting at most {@code atMost} */
    private boolean awaitIdle(Duration atMost) {
        long until = System.nanoTime() + atMost.toNanos();
        try {
            while (!running.isEmpty()) {
                if (System.nanoTime() - until > 0) {
                    return false;
                }
                Thread.sleep(CANCELLATION_CHECK.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return true;
    }

    @PreDestroy
    void stop() {
        deadlines.shutdownNow();
        heartbeats.shutdownNow();
    }

    /**
     * @param requestedAt when the request was sent (its CloudEvent time), for the time it waited in Kafka
     */
    @WithSpan("build")
    public void build(BuildRequested request, Optional<Instant> requestedAt) {
        String buildId = request.build().buildId();
        Span.current().setAttribute(BUILD_ID, buildId);
        if (shuttingDown) {
            throw new BuildHandedBackException(buildId, "the worker is shutting down");
        }
        if (!running.add(buildId)) {
            // The running attempt announces the outcome; this delivery is done once acknowledged.
            LOG.infof("build %s is already being built on this worker; its request, delivered again, is left to it",
                    buildId);
            return;
        }
        try {
            buildUnlessDone(request, requestedAt);
        } finally {
            running.remove(buildId);
        }
    }

    private void buildUnlessDone(BuildRequested request, Optional<Instant> requestedAt) {
        String buildId = request.build().buildId();
        if (cancellations.isCancelled(buildId)) {
            LOG.infof("build %s was cancelled; skipping its request", buildId);
            return;
        }
        ProgressReporter progress = events.progress(request.build());
        Optional<BuildLease> lease;
        try {
            lease = awaitLease(buildId, requestDigest(request), progress);
        } catch (WaitAbandonedException e) {
            if (cancellations.isCancelled(buildId)) {
                return;
            }
            throw new BuildHandedBackException(buildId, "the worker stopped while it waited for S3 to take the lease");
        } catch (BuildException e) {
            if (!StagingStore.STORAGE_REFUSED.equals(e.code())) {
                throw e;
            }
            // No lease can be had from a bucket S3 refuses; the failure is the same for every worker.
            failUnbuilt(request, progress, e.code(), e.getMessage(), 0);
            return;
        }
        if (lease.isEmpty()) {
            return;
        }
        boolean handedBack = false;
        try {
            buildHolding(request, requestedAt, lease.get(), progress);
        } catch (LeaseLostException e) {
            LOG.warnf("%s; its result is abandoned and nothing is announced: the later attempt announces the outcome",
                    e.getMessage());
            metrics.leaseLost(request.build());
        } catch (BuildHandedBackException | WaitAbandonedException e) {
            handedBack = true;
            LOG.infof("build %s: attempt %d stopped unfinished and handed back; the next worker builds it", buildId,
                    lease.get().attempt());
            throw e instanceof BuildHandedBackException handBack ? handBack
                    : new BuildHandedBackException(buildId, "the worker stopped while the build waited");
        } finally {
            if (handedBack) {
                leases.handBack(lease.get());
            } else {
                leases.release(lease.get());
            }
        }
    }

    /** The sha256 of the request's build coordinates: what every attempt of the build must agree on. */
    static String requestDigest(BuildRequested request) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(EventJson.write(request.build()).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @return this worker's lease on the build; empty when the build was left to another worker's
     *         attempt, which has ended meanwhile, or was cancelled while this delivery waited
     */
    private Optional<BuildLease> awaitLease(String buildId, String request, ProgressReporter progress) {
        long waitedFor = 0;
        while (true) {
            long waitingFor = waitedFor;
            BuildLeases.Acquisition acquisition = outages.call("the lease", buildId, progress,
                    () -> cancellations.isCancelled(buildId), () -> leases.tryAcquire(buildId, waitingFor, request));
            if (acquisition instanceof BuildLeases.Acquired acquired) {
                return Optional.of(acquired.lease());
            }
            if (acquisition instanceof BuildLeases.Contradicted contradicted) {
                throw new RequestContradictsBuildException(buildId, contradicted.earlier().attempt());
            }
            if (acquisition instanceof BuildLeases.Ended ended) {
                LOG.infof("build %s: attempt %d on %s ended and announced the outcome; this delivery is done", buildId,
                        ended.released().attempt(), ended.released().worker());
                return Optional.empty();
            }
            LeaseClaim holder = ((BuildLeases.Held) acquisition).holder();
            if (holder.attempt() != waitedFor) {
                LOG.infof("build %s is being built by attempt %d on %s; this delivery of its request waits until that"
                        + " attempt ends or its lease expires", buildId, holder.attempt(), holder.worker());
                waitedFor = holder.attempt();
            }
            if (!waitUnlessCancelled(buildId, config.lease().renewalInterval())) {
                if (shuttingDown) {
                    throw new BuildHandedBackException(buildId, "the worker stopped while the request waited for"
                            + " another worker's attempt");
                }
                LOG.infof("build %s was cancelled while its request waited for another worker's attempt", buildId);
                return Optional.empty();
            }
        }
    }

    /** @return false, early, once the build is cancelled or the worker shuts down */
    private boolean waitUnlessCancelled(String buildId, Duration pause) {
        long until = System.nanoTime() + pause.toNanos();
        try {
            for (long left; (left = until - System.nanoTime()) > 0;) {
                if (cancellations.isCancelled(buildId) || shuttingDown) {
                    return false;
                }
                Thread.sleep(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, CANCELLATION_CHECK.toMillis()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return !cancellations.isCancelled(buildId) && !shuttingDown;
    }

    /** Renews the lease; one that another attempt took over stops the build where it is. */
    private void heartbeat(BuildLease lease, BuildCancellation cancellation) {
        try {
            lease.renew();
        } catch (LeaseLostException e) {
            LOG.warnf("%s; stopping its build", e.getMessage());
            cancellation.cancel();
        } catch (RuntimeException e) {
            LOG.warnf("build %s: could not renew the lease of attempt %d (tried again in %s): %s", lease.buildId(),
                    lease.attempt(), config.lease().renewalInterval(), e.getMessage());
        }
    }

    /**
     * The lease is renewed from here on, through outages of the steps before the build too: a
     * delivery that waits for Kafka to take its build.started must not lose the build to the next.
     */
    private void buildHolding(BuildRequested request, Optional<Instant> requestedAt, BuildLease lease,
            ProgressReporter progress) {
        String buildId = request.build().buildId();
        BuildCancellation cancellation = cancellations.track(buildId);
        long renewal = config.lease().renewalInterval().toMillis();
        ScheduledFuture<?> heartbeat = heartbeats.scheduleWithFixedDelay(() -> heartbeat(lease, cancellation), renewal,
                renewal, TimeUnit.MILLISECONDS);
        try {
            // Read only when the lease's listing showed it: a build's first delivery makes no read that finds nothing.
            Optional<String> alreadyCompleted = !lease.completionRecorded() ? Optional.empty()
                    : outages.call("the completion check", buildId, progress, cancellation::isCancelled,
                            () -> outputs.recordedCompletion(buildId));
            if (alreadyCompleted.isPresent()) {
                LOG.infof("build %s already completed; announcing the recorded result again", buildId);
                outages.run("the completion's announcement", buildId, progress, () -> false,
                        () -> events.completedAgain(buildId, alreadyCompleted.get()));
                return;
            }
            // After the completion check: an attempt that died between its record and its release completed.
            if (lease.crashedBefore() >= config.maxCrashedAttempts()) {
                failCrashed(request, lease, progress);
                return;
            }
            outages.run("the build's start", buildId, progress, cancellation::isCancelled,
                    () -> events.started(new BuildStarted(request.build(), config.instanceName())));
            buildStarted(request, requestedAt, lease, progress, cancellation);
        } catch (WaitAbandonedException e) {
            if (cancellation.handedBack() || !cancellation.isCancelled()) {
                throw e;
            }
            LOG.infof("build %s was cancelled while it waited to start", buildId);
        } catch (BuildException e) {
            if (!StagingStore.STORAGE_REFUSED.equals(e.code())) {
                throw e;
            }
            failUnbuilt(request, progress, e.code(), e.getMessage(), 0);
        } finally {
            heartbeat.cancel(false);
            cancellations.untrack(buildId);
        }
    }

    private void buildStarted(BuildRequested request, Optional<Instant> requestedAt, BuildLease lease,
            ProgressReporter progress, BuildCancellation cancellation) {
        String buildId = request.build().buildId();
        long started = System.nanoTime();
        requestedAt.ifPresent(sent -> metrics.queued(request.build(), Duration.between(sent, Instant.now())));
        String outcome = WorkerMetrics.FAILED;
        BuildLog log = new BuildLog(new PhaseSpans(tracer, progress));
        ScheduledFuture<?> deadline = deadlines.schedule(cancellation::timeOut, config.buildTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        try {
            LOG.infof("build %s: attempt %d, %s/%s image of %s", buildId, lease.attempt(),
                    request.build().target().cloud(), request.build().target().format(), request.build().specName());
            outcome = attempts.run(new RunningBuild(request, lease, log, progress, cancellation, Instant.now()));
        } catch (LeaseLostException e) {
            outcome = WorkerMetrics.ABANDONED;
            throw e;
        } finally {
            deadline.cancel(false);
            log.endPhase();
            metrics.phases(request.build(), log.phaseDurations());
            metrics.built(request.build(), outcome, Duration.ofNanos(System.nanoTime() - started));
        }
    }

    /**
     * The earlier attempts died with their workers often enough: the build itself takes workers down
     * (out of memory, a kernel it makes panic). Building it again would take the next one down too.
     */
    private void failCrashed(BuildRequested request, BuildLease lease, ProgressReporter progress) {
        String reason = lease.crashedBefore() + " attempts at this build ended without a result, their workers gone"
                + " mid-build (killed: out of memory, evicted, kill -9), at most " + config.maxCrashedAttempts()
                + " allowed (byoos.worker.max-crashed-attempts); it is not built again, so that it takes no further"
                + " worker down: check the workers' memory and disk limits and the spec's scripts before retrying";
        LOG.errorf("build %s: attempt %d fails it: %s", request.build().buildId(), lease.attempt(), reason);
        outages.run("the build's failure", request.build().buildId(), progress, () -> false, lease::confirm);
        failUnbuilt(request, progress, WORKER_CRASHED, reason, (int) lease.attempt() - 1);
    }

    /** Announces a failure found before any attempt at building: nothing was built, so nothing is retried. */
    private void failUnbuilt(BuildRequested request, ProgressReporter progress, String code, String reason,
            int attempts) {
        String buildId = request.build().buildId();
        LOG.warnf("build %s failed before it was built: %s: %s", buildId, code, reason);
        outages.run("the build's failure", buildId, progress, () -> false,
                () -> events.failed(new BuildFailed(request.build(), BuildAttempts.STAGE, code, reason, false,
                        BuildFailed.INFRASTRUCTURE, attempts)));
        metrics.failed(request.build(), BuildFailed.INFRASTRUCTURE, code);
    }
}
