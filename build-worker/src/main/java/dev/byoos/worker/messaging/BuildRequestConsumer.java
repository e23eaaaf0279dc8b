package dev.byoos.worker.messaging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.BuildStarted;
import dev.byoos.contract.EventIds;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventJson.MalformedEventException;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;
import dev.byoos.worker.builder.BootSmokeTest;
import dev.byoos.worker.builder.BuildCancellation;
import dev.byoos.worker.builder.BuildCancelledException;
import dev.byoos.worker.builder.BuildException;
import dev.byoos.worker.builder.BuildLog;
import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.builder.DebootstrapBases;
import dev.byoos.worker.builder.NativeBuilder;
import dev.byoos.worker.config.WorkerConfig;
import dev.byoos.worker.observability.WorkerMetrics;
import dev.byoos.worker.storage.StagingStore;

/**
 * Builds the image a build request asks for, stages it in S3 and announces the result. The
 * request is acknowledged (and its offset committed) only after the result event was written, so
 * a worker that dies mid-build leaves the request to be redelivered. A build that already
 * completed is recognised by its completion record in S3 and not built twice.
 *
 * <p>A cancelled build (see {@link CancellationRegistry}) is skipped, or stopped where it is, and
 * announces nothing: spec-service marked it cancelled already. Its request is acknowledged.
 */
@ApplicationScoped
public class BuildRequestConsumer {

    private static final Logger LOG = Logger.getLogger(BuildRequestConsumer.class);
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(60);

    @Inject
    @Channel(Topics.BUILDS_COMPLETED)
    MutinyEmitter<String> completions;

    @Inject
    @Channel(Topics.BUILDS_FAILED)
    MutinyEmitter<String> failures;

    @Inject
    @Channel(Topics.BUILDS_STARTED)
    MutinyEmitter<String> starts;

    @Inject
    CancellationRegistry cancellations;

    @Inject
    StagingStore staging;

    @Inject
    WorkerConfig config;

    @Inject
    WorkerMetrics metrics;

    private Builder builder;

    @PostConstruct
    void init() {
        builder = new NativeBuilder(config.basesDir().toAbsolutePath().normalize(),
                new DebootstrapBases(config.baseCacheDir(), config.allowedMirrorHosts()),
                new BootSmokeTest(new BootSmokeTest.Settings(config.bootTest().enabled(), config.bootTest().timeout())));
    }

    @Incoming(Topics.BUILDS_REQUESTED)
    @Blocking(value = "builds", ordered = false)
    public CompletionStage<Void> onBuildRequested(Message<String> message) {
        BuildRequested request;
        try {
            request = CloudEventMessages.read(message, EventTypes.BUILD_REQUESTED, BuildRequested.class);
        } catch (MalformedEventException e) {
            LOG.warnf("dead-lettering a malformed build request: %s", e.getMessage());
            return message.nack(e);
        }
        Optional<Instant> requestedAt = CloudEventMessages.attributes(message, EventTypes.BUILD_REQUESTED)
                .getTimeStamp().map(time -> time.toInstant());
        try (WorkerMetrics.Slot slot = metrics.occupySlot()) {
            process(request, requestedAt);
            return message.ack();
        } catch (RuntimeException e) {
            // Only a failure to record the outcome lands here; the request goes to the dead-letter topic.
            LOG.errorf(e, "build %s: could not record the outcome", request.build().buildId());
            return message.nack(e);
        }
    }


    private void process(BuildRequested request, Optional<Instant> requestedAt) {
        String buildId = request.build().buildId();
        if (cancellations.isCancelled(buildId)) {
            LOG.infof("build %s was cancelled; skipping its request", buildId);
            return;
        }
        String completionKey = completionKey(buildId);
        Optional<String> alreadyCompleted = staging.getText(completionKey);
        if (alreadyCompleted.isPresent()) {
            LOG.infof("build %s already completed; announcing the recorded result again", buildId);
            send(completions, CloudEventMessages.withId(EventIds.forStage(buildId, EventTypes.BUILD_COMPLETED), buildId,
                    EventTypes.BUILD_COMPLETED, alreadyCompleted.get()));
            return;
        }
        send(starts, CloudEventMessages.forBuild(buildId, EventTypes.BUILD_STARTED,
                new BuildStarted(request.build(), config.instanceName())));
        long started = System.nanoTime();
        requestedAt.ifPresent(sent -> metrics.queued(request.build(), Duration.between(sent, Instant.now())));
        String outcome = WorkerMetrics.FAILED;
        Path workDir = config.scratchDir().resolve(buildId);
        BuildLog log = new BuildLog();
        BuildCancellation cancellation = cancellations.track(buildId);
        boolean keepScratch = false;
        try {
            Files.createDirectories(workDir);
            LOG.infof("build %s: %s/%s image of %s", buildId, request.build().target().cloud(),
                    request.build().target().format(), request.build().specName());
            Builder.BuiltImage image = builder.build(request, workDir, log, cancellation);
            cancellation.throwIfCancelled();
            // Staged under the output's own name: an OVA keeps the template name vSphere imports it as.
            log.phase("upload");
            StagingStore.Upload upload = staging.upload(image.file(),
                    "builds/" + buildId + "/" + image.file().getFileName());
            log.endPhase();
            metrics.uploaded(request.build(), upload.size());
            staging.putText("builds/" + buildId + "/build.log", log.toString());
            BuildCompleted completed = new BuildCompleted(request.build(),
                    new BuildCompleted.StagedObject(staging.bucket(), upload.key(), upload.sha256(), upload.size(),
                            image.format()),
                    builder.id(), (System.nanoTime() - started) / 1_000_000, image.bootTest());
            // Last point of return: past the completion record the build counts as done.
            cancellation.throwIfCancelled();
            // The record is written before the event: if we die in between, the redelivered
            // request finds it and re-sends the same event (same id) instead of building again.
            staging.putText(completionKey, EventJson.write(completed));
            send(completions, CloudEventMessages.forBuild(buildId, EventTypes.BUILD_COMPLETED, completed));
            outcome = WorkerMetrics.SUCCEEDED;
            LOG.infof("build %s: staged %s (%d bytes, sha256 %s)", buildId, upload.key(), upload.size(), upload.sha256());
        } catch (BuildCancelledException e) {
            outcome = WorkerMetrics.CANCELLED;
            LOG.infof("build %s: stopped, it was cancelled", buildId);
        } catch (BuildException e) {
            keepScratch = config.keepFailedScratch();
            failUnlessCancelled(request, cancellation, new BuildFailed(request.build(), "build", e.code(),
                    e.getMessage(), e.retryable()));
            LOG.warnf("build %s failed: %s: %s", buildId, e.code(), e.getMessage());
        } catch (IOException | UncheckedIOException e) {
            keepScratch = config.keepFailedScratch();
            LOG.warnf(e, "build %s failed on the worker's disk", buildId);
            failUnlessCancelled(request, cancellation, new BuildFailed(request.build(), "build", "WORKER_IO",
                    "the worker could not read or write its scratch space: " + e.getMessage(), true));
        } finally {
            log.endPhase();
            metrics.phases(request.build(), log.phaseDurations());
            metrics.built(request.build(), outcome, Duration.ofNanos(System.nanoTime() - started));
            cancellations.untrack(buildId);
            if (!keepScratch) {
                deleteTree(workDir);
            }
        }
    }

    /** A build cancelled while it failed has no failure to report: it is cancelled. */
    private void failUnlessCancelled(BuildRequested request, BuildCancellation cancellation, BuildFailed failure) {
        if (!cancellation.isCancelled()) {
            send(failures, CloudEventMessages.forBuild(request.build().buildId(), EventTypes.BUILD_FAILED, failure));
        }
    }

    static String completionKey(String buildId) {
        return "builds/" + buildId + "/build-completed.json";
    }

    private static void send(MutinyEmitter<String> emitter, Message<String> event) {
        emitter.sendMessage(event).await().atMost(SEND_TIMEOUT);
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warnf("could not remove scratch directory %s: %s", root, e.getMessage());
        }
    }
}
