package dev.byoos.worker.messaging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
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
import dev.byoos.worker.builder.imagebuilder.ImageBuilderExecutor;
import dev.byoos.worker.config.WorkerConfig;
import dev.byoos.worker.storage.ScratchSpace;
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
    ScratchSpace scratch;

    @Inject
    WorkerConfig config;

    private Builder nativeBuilder;
    private Builder imageBuilder;

    @PostConstruct
    void init() {
        nativeBuilder = new NativeBuilder(config.basesDir().toAbsolutePath().normalize(),
                new DebootstrapBases(config.baseCacheDir(), config.allowedMirrorHosts()),
                new BootSmokeTest(new BootSmokeTest.Settings(config.bootTest().enabled(), config.bootTest().timeout())));
        imageBuilder = new ImageBuilderExecutor(new ImageBuilderExecutor.Settings(config.imageBuilder().dir(),
                config.imageBuilder().command(), config.imageBuilder().timeout()));
    }

    /** The builder the spec's target names; spec-service decided it (image-builder by default for aws, azure, vsphere). */
    private Builder builderFor(BuildRequested request) {
        return switch (request.builder()) {
            case BuildRequested.NATIVE -> nativeBuilder;
            case BuildRequested.IMAGE_BUILDER -> imageBuilder;
            default -> throw new BuildException(BuildException.Kind.BAD_INPUT, "BUILDER_NOT_SUPPORTED",
                    "this worker has no builder '" + request.builder() + "'", null);
        };
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
        try {
            process(request);
            return message.ack();
        } catch (RuntimeException e) {
            // Only a failure to record the outcome lands here; the request goes to the dead-letter topic.
            LOG.errorf(e, "build %s: could not record the outcome", request.build().buildId());
            return message.nack(e);
        }
    }


    private void process(BuildRequested request) {
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
        BuildLog log = new BuildLog();
        BuildCancellation cancellation = cancellations.track(buildId);
        Path workDir = null;
        boolean keepScratch = false;
        try {
            workDir = scratch.create(buildId);
            LOG.infof("build %s: %s/%s image of %s", buildId, request.build().target().cloud(),
                    request.build().target().format(), request.build().specName());
            Builder builder = builderFor(request);
            Builder.BuiltImage image = builder.build(request, workDir, log, cancellation);
            cancellation.throwIfCancelled();
            // Staged under the output's own name: an OVA keeps the template name vSphere imports it as.
            StagingStore.Upload upload = staging.upload(image.file(),
                    "builds/" + buildId + "/" + image.file().getFileName());
            staging.putText("builds/" + buildId + "/build.log", log.toString());
            BuildCompleted completed = new BuildCompleted(request.build(),
                    new BuildCompleted.StagedObject(staging.bucket(), upload.key(), upload.sha256(), upload.size(),
                            image.format()),
                    builder.id(), (System.nanoTime() - started) / 1_000_000, image.bootTest(), null, null, null,
                    image.cloudImages(), null);
            // Last point of return: past the completion record the build counts as done.
            cancellation.throwIfCancelled();
            // The record is written before the event: if we die in between, the redelivered
            // request finds it and re-sends the same event (same id) instead of building again.
            staging.putText(completionKey, EventJson.write(completed));
            send(completions, CloudEventMessages.forBuild(buildId, EventTypes.BUILD_COMPLETED, completed));
            LOG.infof("build %s: staged %s (%d bytes, sha256 %s)", buildId, upload.key(), upload.size(), upload.sha256());
        } catch (BuildCancelledException e) {
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
            cancellations.untrack(buildId);
            if (workDir != null && !keepScratch) {
                scratch.remove(workDir);
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
}
