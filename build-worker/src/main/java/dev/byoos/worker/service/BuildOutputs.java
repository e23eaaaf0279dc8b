package dev.byoos.worker.service;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.opentelemetry.instrumentation.annotations.WithSpan;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.EventJson;
import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.observability.WorkerMetrics;
import dev.byoos.worker.storage.StagingStore;

/**
 * A build's outputs in the staging bucket, under {@code builds/<build id>/attempt-<n>/}: the image
 * (under its own name), its SBOM and the build log, each attempt under its own keys, so that an
 * attempt that lost its lease never overwrites what the attempt that holds it staged. Beside them,
 * per build, the completion record that makes a redelivered request announce the recorded result
 * instead of building again, and the lease ({@link BuildLeases}).
 */
@ApplicationScoped
public class BuildOutputs {

    /** Kafka's default largest request: a completion record is announced again as one record. */
    static final int MAX_COMPLETION_BYTES = 1024 * 1024;

    /** A file staged beside the image: its name under the build's prefix, its format, its media type. */
    record OutputFile(String name, String format, String mediaType) {
    }

    /** The image's software bill of materials. */
    static final OutputFile SBOM = new OutputFile("sbom.cdx.json", "cyclonedx-json", "application/vnd.cyclonedx+json");
    /**
     * Everything the build ran and said. Without a charset parameter: S3Proxy answered 403 to a
     * build log uploaded as text/plain; charset=utf-8.
     */
    static final OutputFile LOG = new OutputFile("build.log", "text", "text/plain");

    private final StagingStore staging;
    private final WorkerMetrics metrics;

    BuildOutputs(StagingStore staging, WorkerMetrics metrics) {
        this.staging = staging;
        this.metrics = metrics;
    }

    /**
     * What a build staged.
     *
     * @param sbom       null when the builder made none
     * @param finishedAt when the image and its SBOM were staged: the end of the build as provenance records it
     */
    record Staged(BuildCompleted.StagedObject image, BuildCompleted.StagedObject sbom, BuildCompleted.StagedObject log,
            Instant finishedAt) {
    }

    /**
     * The completion an earlier delivery of the build's request recorded, as it was written; at most
     * {@value #MAX_COMPLETION_BYTES} bytes, since it is announced again as one Kafka record.
     *
     * @throws StagingStore.OversizedObjectException for a larger one, which no worker wrote
     */
    Optional<String> recordedCompletion(String buildId) {
        return staging.getText(completionKey(buildId), MAX_COMPLETION_BYTES);
    }

    /** Uploads the image file under the attempt's prefix (the build may still be checking it: nothing announces it yet). */
    @WithSpan("build.stage-image")
    StagingStore.Upload stageImage(RunningBuild build, Path file) {
        // Staged under the output's own name: an OVA keeps the template name vSphere imports it as.
        StagingStore.Upload upload = staging.upload(file, attemptPrefix(build) + file.getFileName());
        metrics.uploaded(build.coordinates(), upload.size());
        return upload;
    }

    /** Removes an image this attempt staged and will never announce (its build failed after the upload). */
    void discard(StagingStore.Upload image) {
        staging.delete(image.key());
    }

    /**
     * Stages the SBOM and the build log (as it stands once the image is staged) beside the image
     * {@link #stageImage staged} before.
     */
    @WithSpan("build.stage-outputs")
    Staged stage(RunningBuild build, Builder.BuiltImage image, StagingStore.Upload upload) {
        build.log().phase("upload", 90, "staging the SBOM and the build log beside the image");
        String prefix = attemptPrefix(build);
        BuildCompleted.StagedObject sbom = image.sbom() == null ? null
                : staged(staging.upload(image.sbom(), prefix + SBOM.name(), SBOM.mediaType()), SBOM.format());
        Instant finishedAt = Instant.now();
        build.log().line("staged " + upload.key() + " (" + upload.size() + " bytes, sha256 " + upload.sha256() + ")"
                + (image.fromCache() ? ", served from the image cache" : ""));
        BuildCompleted.StagedObject buildLog = staged(staging.put(prefix + LOG.name(),
                build.log().toString().getBytes(StandardCharsets.UTF_8), LOG.mediaType()), LOG.format());
        return new Staged(staged(upload, image.format()), sbom, buildLog, finishedAt);
    }

    /** Past this record the build counts as done: a redelivered request announces it again. */
    @WithSpan("build.record-completion")
    void recordCompletion(BuildCompleted completed) {
        staging.putText(completionKey(completed.build().buildId()), EventJson.write(completed));
    }

    private BuildCompleted.StagedObject staged(StagingStore.Upload upload, String format) {
        return new BuildCompleted.StagedObject(staging.bucket(), upload.key(), upload.sha256(), upload.size(), format);
    }

    private static String attemptPrefix(RunningBuild build) {
        return prefix(build.buildId()) + "attempt-" + build.lease().attempt() + "/";
    }

    static String prefix(String buildId) {
        return "builds/" + buildId + "/";
    }

    static String completionKey(String buildId) {
        return prefix(buildId) + "build-completed.json";
    }
}
