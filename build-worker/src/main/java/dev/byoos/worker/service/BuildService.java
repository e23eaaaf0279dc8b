package dev.byoos.worker.service;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.instrumentation.annotations.WithSpan;

import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.BuildStarted;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.config.WorkerConfig;
import dev.byoos.worker.observability.WorkerMetrics;

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
 * <p>Only a failure to record the outcome (S3 or Kafka down while announcing) leaves here as an
 * exception; the request is then not acknowledged as done.
 */
@ApplicationScoped
public class BuildService {

    private static final Logger LOG = Logger.getLogger(BuildService.class);
    /** The span attribute that names the build a trace is about. */
    static final String BUILD_ID = "byoos.build.id";
    /** How often a delivery waiting for another worker's attempt looks for a cancellation. */
    private static final Duration CANCELLATION_CHECK = Duration.ofMillis(200);

    private final WorkerConfig config;
    private final CancellationRegistry cancellations;
    private final BuildOutputs outputs;
    private final BuildAttempts attempts;
    private final BuildEvents events;
    private final BuildLeases leases;
    private final WorkerMetrics metrics;
    private final Tracer tracer;
    /**
     * The builds running on this worker. Kafka delivers a request at least once: a second delivery
     * while the first is being built (the consumer takes records out of order) must not start a
     * second attempt beside it, which would share its scratch directory, cancellation and staging keys.
     */
    private final Set<String> running = ConcurrentHashMap.newKeySet();
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
            BuildEvents events, BuildLeases leases, WorkerMetrics metrics, Tracer tracer) {
        this.config = config;
        this.cancellations = cancellations;
        this.outputs = outputs;
        this.attempts = attempts;
        this.events = events;
        this.leases = leases;
        this.metrics = metrics;
        this.tracer = tracer;
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
        Optional<BuildLease> lease = awaitLease(buildId);
        if (lease.isEmpty()) {
            return;
        }
        try {
            buildHolding(request, requestedAt, lease.get());
        } catch (LeaseLostException e) {
            LOG.warnf("%s; its result is abandoned and nothing is announced: the later attempt announces the outcome",
                    e.getMessage());
            metrics.leaseLost(request.build());
        } finally {
            leases.release(lease.get());
        }
    }

    /**
     * @return this worker's lease on the build; empty when the build was left to another worker's
     *         attempt, which has ended meanwhile, or was cancelled while this delivery waited
     */
    private Optional<BuildLease> awaitLease(String buildId) {
        long waitedFor = 0;
        while (true) {
            BuildLeases.Acquisition acquisition = leases.tryAcquire(buildId, waitedFor);
            if (acquisition instanceof BuildLeases.Acquired acquired) {
                return Optional.of(acquired.lease());
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
                LOG.infof("build %s was cancelled while its request waited for another worker's attempt", buildId);
                return Optional.empty();
            }
        }
    }

    /** @return false, early, once the build is cancelled */
    private boolean waitUnlessCancelled(String buildId, Duration pause) {
        long until = System.nanoTime() + pause.toNanos();
        try {
            for (long left; (left = until - System.nanoTime()) > 0;) {
                if (cancellations.isCancelled(buildId)) {
                    return false;
                }
                Thread.sleep(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, CANCELLATION_CHECK.toMillis()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return !cancellations.isCancelled(buildId);
    }

    /** Renews the lease; one that another attempt took over stops the build where it is. */
    private void heartbeat(BuildLease lease, BuildCancellation cancellation) {
        try {
            lease.confirm();
        } catch (LeaseLostException e) {
            LOG.warnf("%s; stopping its build", e.getMessage());
            cancellation.cancel();
        } catch (RuntimeException e) {
            LOG.warnf("build %s: could not renew the lease of attempt %d (tried again in %s): %s", lease.buildId(),
                    lease.attempt(), config.lease().renewalInterval(), e.getMessage());
        }
    }

    private void buildHolding(BuildRequested request, Optional<Instant> requestedAt, BuildLease lease) {
        String buildId = request.build().buildId();
        Optional<String> alreadyCompleted = outputs.recordedCompletion(buildId);
        if (alreadyCompleted.isPresent()) {
            LOG.infof("build %s already completed; announcing the recorded result again", buildId);
            events.completedAgain(buildId, alreadyCompleted.get());
            return;
        }
        events.started(new BuildStarted(request.build(), config.instanceName()));
        long started = System.nanoTime();
        requestedAt.ifPresent(sent -> metrics.queued(request.build(), Duration.between(sent, Instant.now())));
        String outcome = WorkerMetrics.FAILED;
        BuildCancellation cancellation = cancellations.track(buildId);
        ProgressReporter progress = events.progress(request.build());
        BuildLog log = new BuildLog(new PhaseSpans(tracer, progress));
        ScheduledFuture<?> deadline = deadlines.schedule(cancellation::timeOut, config.buildTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        long renewal = config.lease().renewalInterval().toMillis();
        ScheduledFuture<?> heartbeat = heartbeats.scheduleWithFixedDelay(() -> heartbeat(lease, cancellation), renewal,
                renewal, TimeUnit.MILLISECONDS);
        try {
            LOG.infof("build %s: attempt %d, %s/%s image of %s", buildId, lease.attempt(),
                    request.build().target().cloud(), request.build().target().format(), request.build().specName());
            outcome = attempts.run(new RunningBuild(request, lease, log, progress, cancellation, Instant.now()));
        } catch (LeaseLostException e) {
            outcome = WorkerMetrics.ABANDONED;
            throw e;
        } finally {
            heartbeat.cancel(false);
            deadline.cancel(false);
            log.endPhase();
            metrics.phases(request.build(), log.phaseDurations());
            metrics.built(request.build(), outcome, Duration.ofNanos(System.nanoTime() - started));
            cancellations.untrack(buildId);
        }
    }
}
