package dev.byoos.worker.messaging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
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
import dev.byoos.worker.builder.disk.BootSmokeTest;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.BuildCancelledException;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.builder.process.CommandRunner;
import dev.byoos.worker.builder.base.DebootstrapBases;
import dev.byoos.worker.builder.cache.ImageCache;
import dev.byoos.worker.builder.kubernetes.KubernetesComponentSource;
import dev.byoos.worker.builder.kubernetes.KubernetesMirror;
import dev.byoos.worker.builder.NativeBuilder;
import dev.byoos.worker.builder.SyntheticBuilder;
import dev.byoos.worker.builder.base.TarballBases;
import dev.byoos.worker.builder.base.TarballDownloader;
import dev.byoos.worker.builder.cache.TreeCache;
import dev.byoos.worker.builder.format.OciImageFormat;
import dev.byoos.worker.builder.imagebuilder.ImageBuilderExecutor;
import dev.byoos.worker.config.S3Config;
import dev.byoos.worker.config.WorkerConfig;
import dev.byoos.worker.observability.WorkerMetrics;
import dev.byoos.worker.registry.OciImagePusher;
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
    /** How often a pause between attempts looks for a cancellation. */
    private static final Duration PAUSE_SLICE = Duration.ofMillis(200);
    static final String STAGE = "build";
    static final String SBOM_FILE = "sbom.cdx.json";
    static final String SBOM_FORMAT = "cyclonedx-json";
    static final String SBOM_MEDIA_TYPE = "application/vnd.cyclonedx+json";
    static final String LOG_FILE = "build.log";
    static final String LOG_FORMAT = "text";
    /** Without a charset parameter: S3Proxy answered 403 to a build log uploaded as text/plain; charset=utf-8. */
    static final String LOG_MEDIA_TYPE = "text/plain";

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
    @Channel(Topics.BUILDS_PROGRESS)
    MutinyEmitter<String> progressEvents;

    @ConfigProperty(name = "quarkus.application.version")
    String builderVersion;

    @Inject
    CancellationRegistry cancellations;

    @Inject
    StagingStore staging;

    @Inject
    ScratchSpace scratch;

    @Inject
    WorkerConfig config;

    /** The S3 endpoint and credentials, which an s3:// Kubernetes components mirror is read with. */
    @Inject
    S3Config s3;

    @Inject
    WorkerMetrics metrics;

    private Builder nativeBuilder;
    private Builder imageBuilder;
    /** Pushes Edge OS images; empty where no registry is configured. */
    private Optional<OciImagePusher> ociPusher;
    /** Stops builds that run out of time (worker.build-timeout). */
    private ScheduledExecutorService deadlines;

    @PostConstruct
    void init() {
        // The synthetic builder stands in for the native one when a benchmark asks for it (off by default).
        nativeBuilder = config.syntheticBuilder().enabled() ? SyntheticBuilder.forBenchmark(config.syntheticBuilder().buildTime())
                : new NativeBuilder(config.basesDir().toAbsolutePath().normalize(),
                new DebootstrapBases(config.baseCacheDir(), config.allowedMirrorHosts()),
                new TarballBases(config.baseCacheDir(), config.allowedMirrorHosts(),
                        new TarballDownloader.Settings(config.downloads().caCertificate(), config.downloads().maxBytes(),
                                config.downloads().connectTimeout(), config.downloads().readTimeout())),
                new BootSmokeTest(new BootSmokeTest.Settings(config.bootTest().enabled(), config.bootTest().timeout())),
                new ImageCache(config.imageCache().dir(), config.imageCache().maxBytes()),
                new TreeCache(config.treeCache().dir(), config.treeCache().maxBytes()),
                KubernetesComponentSource.of(config.kubernetesComponents().mirror(),
                        new KubernetesMirror.S3Access(s3.endpoint(), s3.region(), s3.accessKey(), s3.secretKey()),
                        config.kubernetesComponents().arch(), config.kubernetesComponents().cacheDir(),
                        config.kubernetesComponents().checksumsFile()),
                builderVersion);
        imageBuilder = new ImageBuilderExecutor(new ImageBuilderExecutor.Settings(config.imageBuilder().dir(),
                config.imageBuilder().command(), config.imageBuilder().timeout()));
        ociPusher = config.registry().url().map(url -> new OciImagePusher(new OciImagePusher.Settings(URI.create(url),
                config.registry().basePath(), config.registry().username(), config.registry().password(),
                config.registry().caCertificate())));
        deadlines = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "build-deadlines");
            thread.setDaemon(true);
            return thread;
        });
    }

    @PreDestroy
    void stop() {
        deadlines.shutdownNow();
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
        BuildCancellation cancellation = cancellations.track(buildId);
        BuildProgressReporter progress = new BuildProgressReporter(progressEvents, request.build(), System::nanoTime);
        BuildLog log = new BuildLog(progress);
        ScheduledFuture<?> deadline = deadlines.schedule(cancellation::timeOut, config.buildTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        try {
            LOG.infof("build %s: %s/%s image of %s", buildId, request.build().target().cloud(),
                    request.build().target().format(), request.build().specName());
            outcome = buildWithRetries(request, log, progress, cancellation);
        } finally {
            deadline.cancel(false);
            log.endPhase();
            metrics.phases(request.build(), log.phaseDurations());
            metrics.built(request.build(), outcome, Duration.ofNanos(System.nanoTime() - started));
            cancellations.untrack(buildId);
        }
    }

    /**
     * Builds until the build completes, fails for a reason retrying cannot fix, or runs out of
     * attempts; infrastructure failures (mirror, S3, disk) are retried after a growing pause.
     *
     * @return the outcome the build's duration is recorded with: {@link WorkerMetrics#SUCCEEDED},
     *         {@link WorkerMetrics#FAILED} (after the last attempt, or out of time) or
     *         {@link WorkerMetrics#CANCELLED}
     */
    private String buildWithRetries(BuildRequested request, BuildLog log, BuildProgressReporter progress,
            BuildCancellation cancellation) {
        String buildId = request.build().buildId();
        Instant startedAt = Instant.now();
        Duration backoff = config.retry().initialBackoff();
        FailureClassifier.Failure previous = null;
        for (int attempt = 1;; attempt++) {
            boolean keepScratch = false;
            Path workDir = null;
            try {
                if (previous != null) {
                    progress.waiting("retry", 0, previous.dependency(), "attempt " + (attempt - 1) + " failed ("
                            + previous.code() + "); trying again in " + backoff.toSeconds() + " s");
                    pause(backoff, cancellation);
                    backoff = min(backoff.multipliedBy(2), config.retry().maxBackoff());
                    log.line("attempt " + attempt + " of " + config.retry().maxAttempts());
                }
                requireFreeDisk();
                // A fresh directory per attempt: a failed attempt's half-customized tree is never built on.
                workDir = scratch.create(buildId);
                buildAndAnnounce(request, workDir, log, cancellation, startedAt);
                return WorkerMetrics.SUCCEEDED;
            } catch (BuildCancelledException e) {
                if (cancellation.timedOut()) {
                    LOG.warnf("build %s: out of time after %s", buildId, config.buildTimeout());
                    String reason = "the build did not finish within " + readable(config.buildTimeout())
                            + " (worker.build-timeout) and was stopped while in phase '" + progress.currentPhase()
                            + "'; every script stays within its own timeout, so downloads or the worker were too"
                            + " slow: retry, or ask the operators for more time";
                    send(failures, CloudEventMessages.forBuild(buildId, EventTypes.BUILD_FAILED, new BuildFailed(
                            request.build(), STAGE, "BUILD_TIMEOUT", reason, true, BuildFailed.INFRASTRUCTURE, attempt)));
                    metrics.failed(request.build(), BuildFailed.INFRASTRUCTURE, "BUILD_TIMEOUT");
                    return WorkerMetrics.FAILED;
                }
                LOG.infof("build %s: stopped, it was cancelled", buildId);
                return WorkerMetrics.CANCELLED;
            } catch (IOException | RuntimeException e) {
                FailureClassifier.Failure failure = FailureClassifier.classify(
                        e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e);
                if (failure.retryable() && attempt < config.retry().maxAttempts() && !cancellation.isCancelled()) {
                    LOG.warnf("build %s: attempt %d failed (%s: %s); retrying", buildId, attempt, failure.code(),
                            failure.reason());
                    log.line("attempt " + attempt + " failed: " + failure.code() + ": " + failure.reason());
                    // The pause before the next attempt is no phase of the build.
                    log.endPhase();
                    metrics.retried(request.build(), failure.category(), failure.code());
                    previous = failure;
                    continue;
                }
                keepScratch = config.keepFailedScratch();
                if (failure.category().equals(BuildFailed.BUILDER)) {
                    LOG.errorf(e, "build %s failed: %s", buildId, failure.code());
                } else {
                    LOG.warnf("build %s failed: %s: %s", buildId, failure.code(), failure.reason());
                }
                String reason = failure.retryable()
                        ? failure.reason() + " (gave up after " + attempt + (attempt == 1 ? " attempt)" : " attempts)")
                        : failure.reason();
                failUnlessCancelled(request, cancellation, new BuildFailed(request.build(), STAGE, failure.code(),
                        reason, failure.retryable(), failure.category(), attempt));
                if (cancellation.isCancelled() && !cancellation.timedOut()) {
                    return WorkerMetrics.CANCELLED;
                }
                metrics.failed(request.build(), failure.category(), failure.code());
                return WorkerMetrics.FAILED;
            } finally {
                if (workDir != null && !keepScratch) {
                    scratch.remove(workDir);
                }
            }
        }
    }

    private void buildAndAnnounce(BuildRequested request, Path workDir, BuildLog log, BuildCancellation cancellation,
            Instant startedAt) {
        String buildId = request.build().buildId();
        Builder builder = builderFor(request);
        boolean edge = OciImageFormat.NAME.equals(request.build().target().format());
        if (edge && ociPusher.isEmpty()) {
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "REGISTRY_NOT_CONFIGURED", "oci images are"
                    + " pushed to a registry, and this worker has none (worker.registry.url, BYOOS_REGISTRY_URL)", null);
        }
        Builder.BuiltImage image = builder.build(request, workDir, log, cancellation);
        cancellation.throwIfCancelled();
        BuildCompleted.OciImage ociImage = null;
        if (edge) {
            OciImagePusher pusher = ociPusher.get();
            log.phase("push", 90, "pushing the OCI image to " + pusher.reference(request.build()));
            ociImage = pusher.push(image.file(), request.build(), workDir, new CommandRunner(log, cancellation));
            log.line("pushed " + ociImage.reference() + " (manifest " + ociImage.digest() + ")");
            cancellation.throwIfCancelled();
        }
        log.phase("upload", 90, "staging the image, its SBOM and the build log");
        String prefix = "builds/" + buildId + "/";
        // Staged under the output's own name: an OVA keeps the template name vSphere imports it as.
        StagingStore.Upload upload = staging.upload(image.file(), prefix + image.file().getFileName());
        metrics.uploaded(request.build(), upload.size());
        BuildCompleted.StagedObject sbom = image.sbom() == null ? null
                : staged(staging.upload(image.sbom(), prefix + SBOM_FILE, SBOM_MEDIA_TYPE), SBOM_FORMAT);
        Instant finishedAt = Instant.now();
        log.line("staged " + upload.key() + " (" + upload.size() + " bytes, sha256 " + upload.sha256() + ")"
                + (image.fromCache() ? ", served from the image cache" : ""));
        BuildCompleted.StagedObject buildLog = staged(staging.put(prefix + LOG_FILE,
                log.toString().getBytes(StandardCharsets.UTF_8), LOG_MEDIA_TYPE), LOG_FORMAT);
        BuildCompleted completed = new BuildCompleted(request.build(), staged(upload, image.format()), builder.id(),
                Duration.between(startedAt, finishedAt).toMillis(), image.bootTest(), sbom, buildLog,
                new BuildCompleted.Provenance(builderVersion, startedAt.toString(), finishedAt.toString(),
                        image.inputs()),
                image.cloudImages(), ociImage);
        // Last point of return: past the completion record the build counts as done.
        cancellation.throwIfCancelled();
        // The record is written before the event: if we die in between, the redelivered
        // request finds it and re-sends the same event (same id) instead of building again.
        staging.putText(completionKey(buildId), EventJson.write(completed));
        send(completions, CloudEventMessages.forBuild(buildId, EventTypes.BUILD_COMPLETED, completed));
        LOG.infof("build %s: staged %s (%d bytes, sha256 %s)%s", buildId, upload.key(), upload.size(), upload.sha256(),
                image.fromCache() ? " from the image cache" : "");
    }

    private BuildCompleted.StagedObject staged(StagingStore.Upload upload, String format) {
        return new BuildCompleted.StagedObject(staging.bucket(), upload.key(), upload.sha256(), upload.size(), format);
    }

    /** @throws BuildException INFRASTRUCTURE INSUFFICIENT_DISK, retried like any other infrastructure failure */
    private void requireFreeDisk() throws IOException {
        long usable = Files.getFileStore(Files.createDirectories(config.scratchDir())).getUsableSpace();
        if (usable < config.minFreeDiskBytes()) {
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "INSUFFICIENT_DISK", "the worker has "
                    + usable + " bytes free for builds, fewer than the " + config.minFreeDiskBytes()
                    + " a build may need (worker.min-free-disk-bytes); it waits for other builds to finish and"
                    + " the image cache to shrink, then tries again", null);
        }
    }

    /** Sleeps, waking early (and throwing) when the build is cancelled or runs out of time. */
    private static void pause(Duration pause, BuildCancellation cancellation) {
        long until = System.nanoTime() + pause.toNanos();
        try {
            for (long left; (left = until - System.nanoTime()) > 0;) {
                cancellation.throwIfCancelled();
                Thread.sleep(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, PAUSE_SLICE.toMillis()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildCancelledException();
        }
        cancellation.throwIfCancelled();
    }

    /** {@code 1h30m}, {@code 20s}: a duration as the configuration writes it. */
    static String readable(Duration duration) {
        return duration.toString().substring(2).toLowerCase(Locale.ROOT);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** A build cancelled by its user while it failed has no failure to report: it is cancelled. */
    private void failUnlessCancelled(BuildRequested request, BuildCancellation cancellation, BuildFailed failure) {
        if (!cancellation.isCancelled() || cancellation.timedOut()) {
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
