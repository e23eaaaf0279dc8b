package dev.byoos.artifact.messaging;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.mutiny.core.Context;
import io.vertx.mutiny.core.Vertx;

import dev.byoos.artifact.config.S3Config;
import dev.byoos.artifact.observability.ArtifactMetrics;
import dev.byoos.artifact.repository.ArtifactEntity;
import dev.byoos.artifact.service.ArtifactPromoter;
import dev.byoos.artifact.service.ArtifactPromoter.Promoted;
import dev.byoos.artifact.service.ArtifactPromoter.StagedObjectRejectedException;
import dev.byoos.artifact.signing.ArtifactSigner;
import dev.byoos.artifact.storage.ArtifactStore.StorageUnavailableException;
import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildProgress;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventJson.MalformedEventException;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;

/**
 * Verifies what a build staged against the bytes in S3, promotes it to its content address,
 * signs the digest, records it, and announces {@code artifact.stored}.
 *
 * <ul>
 *   <li>Idempotent on the build id (unique constraint): a redelivered event re-announces the
 *       recorded artifact, with the same CloudEvent id, without copying anything.</li>
 *   <li>While S3 is unreachable the event is retried with capped exponential backoff, never
 *       dead-lettered; each failed attempt announces {@code build.progress} waiting for
 *       {@value #WAITING_FOR_S3}. The partition waits with it: later builds could not be stored
 *       either.</li>
 *   <li>The message is acknowledged only after the outcome event was written.</li>
 * </ul>
 */
@ApplicationScoped
public class BuildCompletedConsumer {

    static final String STAGE = "artifact";
    static final String WAITING_FOR_S3 = "s3";

    private static final Logger LOG = Logger.getLogger(BuildCompletedConsumer.class);

    @Inject
    ArtifactPromoter promoter;

    @Inject
    ArtifactSigner signer;

    @Inject
    S3Config s3;

    @Inject
    ArtifactMetrics metrics;

    @Inject
    Vertx vertx;

    @Inject
    @Channel(Topics.ARTIFACTS_STORED)
    MutinyEmitter<String> stored;

    @Inject
    @Channel(Topics.BUILDS_FAILED)
    MutinyEmitter<String> failures;

    @Inject
    @Channel(Topics.BUILDS_PROGRESS)
    MutinyEmitter<String> progress;

    @Incoming(Topics.BUILDS_COMPLETED)
    public Uni<Void> onBuildCompleted(Message<String> message) {
        return Uni.createFrom().deferred(() -> process(parse(message)))
                .onItem().transformToUni(done -> Uni.createFrom().completionStage(message.ack()))
                .onFailure().recoverWithUni(failure -> {
                    LOG.warnf("dead-lettering build.completed: %s", failure.getMessage());
                    return Uni.createFrom().completionStage(message.nack(failure));
                });
    }

    private static BuildCompleted parse(Message<String> message) {
        BuildCompleted event = CloudEventMessages.read(message, EventTypes.BUILD_COMPLETED, BuildCompleted.class);
        try {
            UUID.fromString(event.build().buildId());
        } catch (IllegalArgumentException e) {
            throw new MalformedEventException("buildId is not a UUID", e);
        }
        if (event.provenance() != null) {
            instant(event.provenance().startedAt(), "provenance.startedAt");
            instant(event.provenance().finishedAt(), "provenance.finishedAt");
        }
        return event;
    }

    private Uni<Void> process(BuildCompleted event) {
        UUID buildId = UUID.fromString(event.build().buildId());
        return Panache.withSession(() -> ArtifactEntity.findByBuild(buildId))
                .flatMap(existing -> existing != null
                        ? announce(event, existing)
                                .invoke(() -> metrics.counted(event.build(), existing.format,
                                        ArtifactMetrics.ALREADY_STORED))
                        : store(event, buildId));
    }

    private Uni<Void> store(BuildCompleted event, UUID buildId) {
        AtomicInteger attempts = new AtomicInteger();
        // The promotion time is the successful attempt's: waiting out an S3 outage is counted apart.
        AtomicReference<Duration> promotion = new AtomicReference<>(Duration.ZERO);
        return promoteWaitingForStorage(event, attempts, promotion)
                .flatMap(promoted -> record(event, buildId, promoted))
                .flatMap(artifact -> announce(event, artifact)
                        .invoke(() -> metrics.stored(event.build(), artifact.format, artifact.size, promotion.get())))
                .onFailure(StagedObjectRejectedException.class).recoverWithUni(failure -> {
                    StagedObjectRejectedException rejected = (StagedObjectRejectedException) failure;
                    LOG.warnf("build %s: %s", buildId, rejected.getMessage());
                    return failures.sendMessage(CloudEventMessages.forBuild(event.build().buildId(),
                            EventTypes.BUILD_FAILED, new BuildFailed(event.build(), STAGE, rejected.code(),
                                    rejected.getMessage(), false, BuildFailed.BUILDER, attempts.get())))
                            .invoke(() -> metrics.counted(event.build(), event.image().format(),
                                    ArtifactMetrics.REJECTED));
                });
    }

    /**
     * The blocking S3 work on a worker thread, retried while S3 is unavailable. The result comes
     * back on this message's Vert.x context, where Hibernate Reactive must run: retries are
     * scheduled from Mutiny's executor, not from the event loop.
     */
    private Uni<Promoted> promoteWaitingForStorage(BuildCompleted event, AtomicInteger attempts,
            AtomicReference<Duration> promotion) {
        Context context = vertx.getOrCreateContext();
        return vertx.executeBlocking(Uni.createFrom().item(() -> {
                    attempts.incrementAndGet();
                    long started = System.nanoTime();
                    Promoted promoted = promoter.promote(event);
                    promotion.set(Duration.ofNanos(System.nanoTime() - started));
                    return promoted;
                }))
                .onFailure(StorageUnavailableException.class).invoke(failure -> metrics.storageUnavailable(
                        event.build(), event.image().format()))
                .onFailure(StorageUnavailableException.class).call(failure -> announceWaiting(event, attempts.get(), failure))
                .onFailure(StorageUnavailableException.class).retry()
                .withBackOff(s3.retry().initialBackoff(), s3.retry().maxBackoff()).indefinitely()
                .emitOn(command -> context.runOnContext(command));
    }

    /** Informational: a lost progress event changes nothing, so a failure to send one is only logged. */
    private Uni<Void> announceWaiting(BuildCompleted event, int attempt, Throwable failure) {
        LOG.warnf("build %s: S3 unavailable (attempt %d), retrying: %s", event.build().buildId(), attempt,
                failure.getMessage());
        BuildProgress waiting = new BuildProgress(event.build(), STAGE, "verify", 0, WAITING_FOR_S3,
                "S3 is unavailable (attempt " + attempt + "); the artifact is stored as soon as it returns");
        return progress.sendMessage(CloudEventMessages.withId(UUID.randomUUID().toString(), event.build().buildId(),
                        EventTypes.BUILD_PROGRESS, EventJson.write(waiting)))
                .onFailure().invoke(sendFailure -> LOG.debugf("progress not sent: %s", sendFailure.getMessage()))
                .onFailure().recoverWithNull();
    }

    private Uni<ArtifactEntity> record(BuildCompleted event, UUID buildId, Promoted promoted) {
        ArtifactEntity artifact = newArtifact(event, buildId, promoted);
        return Panache.withTransaction(artifact::persist)
                .replaceWith(artifact)
                // Another consumer may have recorded the build between our lookup and this insert
                // (a redelivery during a rebalance): the unique build id refused ours, theirs stands.
                .onFailure().recoverWithUni(failure -> Panache.withSession(() -> ArtifactEntity.findByBuild(buildId))
                        .onItem().ifNull().failWith(failure));
    }

    private ArtifactEntity newArtifact(BuildCompleted event, UUID buildId, Promoted promoted) {
        ArtifactEntity artifact = new ArtifactEntity();
        artifact.id = UUID.randomUUID();
        artifact.buildId = buildId;
        artifact.team = event.build().team();
        artifact.specName = event.build().specName();
        artifact.specVersion = event.build().specVersion();
        artifact.specDigest = event.build().specDigest();
        artifact.osName = event.build().os().name();
        artifact.osVersion = event.build().os().version();
        artifact.kubernetesVersion = event.build().kubernetesVersion();
        artifact.targetCloud = event.build().target().cloud();
        artifact.targetFormat = event.build().target().format();
        artifact.format = promoted.image().format();
        artifact.sha256 = promoted.image().sha256();
        artifact.size = promoted.image().size();
        artifact.bucket = s3.artifactsBucket();
        artifact.objectKey = promoted.image().key();
        artifact.stagedKey = event.image().key();
        if (promoted.sbom() != null) {
            artifact.sbomKey = promoted.sbom().key();
            artifact.sbomSha256 = promoted.sbom().sha256();
            artifact.sbomSize = promoted.sbom().size();
            artifact.sbomFormat = promoted.sbom().format();
        }
        if (promoted.log() != null) {
            artifact.logKey = promoted.log().key();
            artifact.logSha256 = promoted.log().sha256();
            artifact.logSize = promoted.log().size();
        }
        artifact.builder = event.builder();
        BuildCompleted.Provenance provenance = event.provenance();
        if (provenance != null) {
            artifact.builderVersion = provenance.builderVersion();
            artifact.buildStartedAt = instant(provenance.startedAt(), "provenance.startedAt");
            artifact.buildFinishedAt = instant(provenance.finishedAt(), "provenance.finishedAt");
            artifact.inputs = provenance.inputs().stream()
                    .map(input -> new ArtifactEntity.Input(input.name(), input.sha256(), input.uri()))
                    .toList();
        }
        artifact.cloudImages = event.cloudImages().stream()
                .map(image -> new ArtifactEntity.CloudImage(image.cloud(), image.region(), image.id()))
                .toList();
        if (event.ociImage() != null) {
            artifact.ociImageReference = event.ociImage().reference();
            artifact.ociImageDigest = event.ociImage().digest();
        }
        ArtifactStored.Signature signature = signer.sign(artifact.sha256);
        artifact.signatureFormat = signature.format();
        artifact.signatureKeyId = signature.keyId();
        artifact.signatureValue = signature.value();
        artifact.createdAt = OffsetDateTime.now(ZoneOffset.UTC);
        return artifact;
    }

    /** Announces a recorded artifact; a re-announcement after a redelivery is the same event. */
    private Uni<Void> announce(BuildCompleted event, ArtifactEntity artifact) {
        ArtifactStored announcement = new ArtifactStored(event.build(), artifact.bucket, artifact.objectKey,
                artifact.uri(), artifact.sha256, artifact.size, artifact.format,
                storedObject(artifact.bucket, artifact.sbomKey, artifact.sbomSha256, artifact.sbomSize),
                storedObject(artifact.bucket, artifact.logKey, artifact.logSha256, artifact.logSize),
                artifact.signatureValue == null ? null
                        : new ArtifactStored.Signature(artifact.signatureFormat, artifact.signatureKeyId,
                                artifact.signatureValue),
                artifact.cloudImages.stream()
                        .map(image -> new BuildCompleted.CloudImage(image.cloud(), image.region(), image.id()))
                        .toList(),
                artifact.ociImageReference == null ? null
                        : new BuildCompleted.OciImage(artifact.ociImageReference, artifact.ociImageDigest),
                event.provenance());
        return stored.sendMessage(CloudEventMessages.forBuild(event.build().buildId(), EventTypes.ARTIFACT_STORED,
                announcement));
    }

    private static ArtifactStored.StoredObject storedObject(String bucket, String key, String sha256, Long size) {
        return key == null ? null : new ArtifactStored.StoredObject(bucket, key, sha256, size);
    }

    private static OffsetDateTime instant(String value, String field) {
        try {
            return Instant.parse(value).atOffset(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new MalformedEventException(field + " is not an ISO-8601 instant: " + value, e);
        }
    }
}
