package dev.byoos.worker.service;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.opentelemetry.instrumentation.annotations.WithSpan;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildRequested;
import dev.byoos.messaging.resilience.WaitAbandonedException;
import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.BuildCancelledException;
import dev.byoos.worker.builder.process.CommandRunner;
import dev.byoos.worker.registry.OciImagePusher;
import dev.byoos.worker.storage.StagingStore;

/**
 * One try at a build: the image built by the builder the request names, an Edge image pushed
 * to the registry, the outputs staged, the completion recorded and announced. Past the completion
 * record the build counts as done; until then a cancellation stops it. Before each write others
 * can see (the push, the staged outputs, the record and the event) the attempt confirms its lease:
 * an attempt that another worker took over stops there ({@link LeaseLostException}). Each of those
 * writes waits out an S3 or Kafka outage ({@link OutageWaits}) instead of failing the attempt: the
 * image is built, only its storage waits. The image's upload starts as soon as the builder has
 * written it, while its boot test runs ({@link ImageUpload}); it is announced only after the build
 * passed. What the build keeps for later builds (its cache entries, {@link Builder.Keeping}) is kept
 * last, once the build is announced.
 */
@ApplicationScoped
public class ImageBuild {

    private static final Logger LOG = Logger.getLogger(ImageBuild.class);

    private final Builders builders;
    private final BuildOutputs outputs;
    private final BuildEvents events;
    private final OutageWaits outages;
    private final String builderVersion;

    ImageBuild(Builders builders, BuildOutputs outputs, BuildEvents events, OutageWaits outages,
            @ConfigProperty(name = "quarkus.application.version") String builderVersion) {
        this.builders = builders;
        this.outputs = outputs;
        this.events = events;
        this.outages = outages;
        this.builderVersion = builderVersion;
    }

    /** @param workDir this attempt's scratch directory */
    @WithSpan("build.attempt")
    void buildAndAnnounce(RunningBuild build, Path workDir) {
        BuildRequested request = build.request();
        BuildCancellation cancellation = build.cancellation();
        Builder builder = builders.forRequest(request);
        boolean edge = builders.isEdge(request);
        if (edge) {
            builders.requireRegistry();
        }
        ImageUpload upload = new ImageUpload(build);
        Builder.Keeping keeping = Builder.Keeping.NOTHING;
        try {
            BuildCompleted completed;
            BuildOutputs.Staged staged;
            Builder.BuiltImage image;
            try {
                image = builder.build(request, workDir, build.log(), cancellation, upload::start);
                keeping = image.keeping();
                cancellation.throwIfCancelled();
                BuildCompleted.OciImage ociImage = null;
                if (edge) {
                    // The tag is shared by every attempt: only the lease holder moves it.
                    waitOut(build, "the lease check before the push", () -> build.lease().confirm());
                    ociImage = push(build, image, workDir);
                }
                waitOut(build, "the lease check before staging", () -> build.lease().confirm());
                StagingStore.Upload imageUpload = upload.of(image.file());
                staged = waitOut(build, "the staging of the outputs", () -> outputs.stage(build, image, imageUpload));
                completed = new BuildCompleted(request.build(), staged.image(), builder.id(),
                        Duration.between(build.startedAt(), staged.finishedAt()).toMillis(), image.bootTest(),
                        staged.sbom(), staged.log(), new BuildCompleted.Provenance(builderVersion,
                                build.startedAt().toString(), staged.finishedAt().toString(), image.inputs()),
                        image.cloudImages(), ociImage);
            } catch (RuntimeException e) {
                // A failed boot test, a cancellation, a lost lease: what was uploaded early is never announced.
                upload.abandon();
                throw e;
            }
            // Last point of return: past the completion record the build counts as done.
            cancellation.throwIfCancelled();
            // The fence: the record and the event are written only while this attempt holds the lease.
            waitOut(build, "the completion record", () -> {
                build.lease().confirm();
                // The record is written before the event: if we die in between, the redelivered
                // request finds it and re-sends the same event (same id) instead of building again.
                outputs.recordCompletion(completed);
            });
            // Done past the record: only the worker's shutdown ends this wait, and the next worker re-sends it.
            outages.run("the completion's announcement", build.buildId(), build.progress(), () -> false,
                    () -> events.completed(completed));
            LOG.infof("build %s: staged %s (%d bytes, sha256 %s)%s", build.buildId(), staged.image().key(),
                    staged.image().size(), staged.image().sha256(), image.fromCache() ? " from the image cache" : "");
            keepForLaterBuilds(build, keeping);
        } finally {
            keeping.close();
        }
    }

    /**
     * The build's cache entries, kept only now that it is done and announced: a build cancelled or
     * taken over after its builder returned keeps nothing, and the keeping (moving the tree, hashing
     * the disk) is not on the way to build.completed. The build's own log is staged already; what
     * the keeping says goes to the worker's log.
     */
    private static void keepForLaterBuilds(RunningBuild build, Builder.Keeping keeping) {
        if (keeping == Builder.Keeping.NOTHING) {
            return;
        }
        long start = System.nanoTime();
        BuildLog keepingLog = new BuildLog();
        try {
            keeping.keep(keepingLog);
        } catch (RuntimeException e) {
            // The build is done whatever happens to its cache entries.
            keepingLog.line("caches: not kept: " + e);
        }
        LOG.infof("build %s: kept for later builds in %d ms%n%s", build.buildId(),
                (System.nanoTime() - start) / 1_000_000, keepingLog.toString().stripTrailing());
    }

    /**
     * A step that waits out an S3 or Kafka outage for as long as it lasts, rather than failing the
     * attempt; a cancellation, the build's timeout or the worker's shutdown ends the wait as a stop.
     */
    private <T> T waitOut(RunningBuild build, String step, Supplier<T> action) {
        try {
            return outages.call(step, build.buildId(), build.progress(), build.cancellation()::isCancelled, action);
        } catch (WaitAbandonedException e) {
            throw new BuildCancelledException();
        }
    }

    private void waitOut(RunningBuild build, String step, Runnable action) {
        waitOut(build, step, () -> {
            action.run();
            return null;
        });
    }

    /**
     * The image's upload, started on a thread of its own as soon as the builder has written the file,
     * while the build's boot test runs, so the two overlap instead of adding up. Past the lease check
     * like every staging write. What it staged becomes part of an artifact only through the
     * build.completed that follows a passed build; a build that fails after it started waits for it
     * to end and removes its object.
     */
    private final class ImageUpload {

        private final RunningBuild build;
        /** Set on the build's thread, by the builder's call, before the build returns or throws. */
        private Path file;
        private CompletableFuture<StagingStore.Upload> upload;

        ImageUpload(RunningBuild build) {
            this.build = build;
        }

        void start(Path written) {
            build.log().line("staging " + written.getFileName() + " while the build's checks finish");
            file = written;
            upload = CompletableFuture.supplyAsync(() -> waitOut(build, "the staging of the image", () -> {
                build.lease().confirm();
                return outputs.stageImage(build, written);
            }), task -> {
                Thread thread = new Thread(task, "staging-upload");
                thread.setDaemon(true);
                thread.start();
            });
        }

        /** @return the upload of {@code image}: the one started while it was checked, or one made now */
        StagingStore.Upload of(Path image) {
            if (upload == null) {
                return waitOut(build, "the staging of the image", () -> outputs.stageImage(build, image));
            }
            if (!image.equals(file)) {
                throw new IllegalStateException("the builder uploaded " + file + " early but returned " + image);
            }
            try {
                return upload.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException cause ? cause : e;
            }
        }

        /** Waits for an upload started early to end, and removes its object: the build will not announce it. */
        void abandon() {
            if (upload == null) {
                return;
            }
            StagingStore.Upload staged;
            try {
                staged = upload.join();
            } catch (CompletionException e) {
                return;   // it failed (or was stopped): nothing was staged
            }
            try {
                outputs.discard(staged);
            } catch (RuntimeException e) {
                // Unannounced, under this attempt's own prefix: nothing promotes it; only the bucket's expiry removes it.
                LOG.warnf("build %s: could not remove the unannounced image %s: %s", build.buildId(), staged.key(),
                        e.getMessage());
            }
        }
    }

    private BuildCompleted.OciImage push(RunningBuild build, Builder.BuiltImage image, Path workDir) {
        OciImagePusher pusher = builders.registry();
        build.log().phase("push", 90, "pushing the OCI image to " + pusher.reference(build.coordinates()));
        BuildCompleted.OciImage ociImage = pusher.push(image.file(), build.coordinates(), workDir,
                new CommandRunner(build.log(), build.cancellation()));
        build.log().line("pushed " + ociImage.reference() + " (manifest " + ociImage.digest() + ")");
        build.cancellation().throwIfCancelled();
        return ociImage;
    }
}
