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
 * build runs here is left to that build.
 *
 * <p>Only a failure to record the outcome (S3 or Kafka down while announcing) leaves here as an
 * exception; the request is then not acknowledged as done.
 */
@ApplicationScoped
public class BuildService {

    private static final Logger LOG = Logger.getLogger(BuildService.class);
    /** The span attribute that names the build a trace is about. */
    static final String BUILD_ID = "byoos.build.id";

    private final WorkerConfig config;
    private final CancellationRegistry cancellations;
    private final BuildOutputs outputs;
    private final BuildAttempts attempts;
    private final BuildEvents events;
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

    BuildService(WorkerConfig config, CancellationRegistry cancellations, BuildOutputs outputs, BuildAttempts attempts,
            BuildEvents events, WorkerMetrics metrics, Tracer tracer) {
        this.config = config;
        this.cancellations = cancellations;
        this.outputs = outputs;
        this.attempts = attempts;
        this.events = events;
        this.metrics = metrics;
        this.tracer = tracer;
    }

    @PreDestroy
    void stop() {
        deadlines.shutdownNow();
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
        try {
            LOG.infof("build %s: %s/%s image of %s", buildId, request.build().target().cloud(),
                    request.build().target().format(), request.build().specName());
            outcome = attempts.run(new RunningBuild(request, log, progress, cancellation, Instant.now()));
        } finally {
            deadline.cancel(false);
            log.endPhase();
            metrics.phases(request.build(), log.phaseDurations());
            metrics.built(request.build(), outcome, Duration.ofNanos(System.nanoTime() - started));
            cancellations.untrack(buildId);
        }
    }
}
