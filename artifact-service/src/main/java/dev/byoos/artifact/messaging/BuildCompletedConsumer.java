package dev.byoos.artifact.messaging;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.mutiny.core.Vertx;

import dev.byoos.artifact.observability.ArtifactMetrics;
import dev.byoos.artifact.repository.ArtifactEntity;
import dev.byoos.artifact.storage.ArtifactStore;
import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.EventJson.MalformedEventException;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;

/**
 * Verifies a built image's checksum against the bytes in S3, promotes it to its content address,
 * records it, and announces {@code artifact.stored}. Idempotent on the build id (unique
 * constraint): a redelivered event re-announces the recorded artifact without copying anything.
 * The message is acknowledged only after the outcome event was written.
 */
@ApplicationScoped
public class BuildCompletedConsumer {

    private static final Logger LOG = Logger.getLogger(BuildCompletedConsumer.class);

    @Inject
    ArtifactStore store;

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
        return event;
    }

    private Uni<Void> process(BuildCompleted event) {
        UUID buildId = UUID.fromString(event.build().buildId());
        return Panache.withSession(() -> ArtifactEntity.findByBuild(buildId))
                .flatMap(existing -> {
                    if (existing == null) {
                        return verifyAndStore(event, buildId);
                    }
                    return announce(event.build(), existing)
                            .invoke(() -> metrics.counted(event.build(), existing.format, ArtifactMetrics.ALREADY_STORED));
                });
    }

    private Uni<Void> verifyAndStore(BuildCompleted event, UUID buildId) {
        BuildCompleted.StagedObject image = event.image();
        long started = System.nanoTime();
        // MinIO's client blocks: run it on a worker thread, then come back to the event loop
        // for Hibernate Reactive.
        return vertx.executeBlocking(Uni.createFrom().item(() -> {
            ArtifactStore.Measured measured;
            try {
                measured = store.measure(image.bucket(), image.key());
            } catch (ArtifactStore.StagedObjectMissingException e) {
                return Verification.rejected("STAGED_OBJECT_MISSING", e.getMessage());
            }
            if (measured.size() != image.size()) {
                return Verification.rejected("SIZE_MISMATCH", "staged object " + image.key() + " has "
                        + measured.size() + " bytes, the build reported " + image.size());
            }
            if (!measured.sha256().equals(image.sha256())) {
                return Verification.rejected("CHECKSUM_MISMATCH", "staged object " + image.key() + " has sha256 "
                        + measured.sha256() + ", the build reported " + image.sha256());
            }
            return Verification.verified(store.promote(image.bucket(), image.key(), image.sha256()));
        })).flatMap(verification -> {
            if (verification.failureCode() != null) {
                LOG.warnf("build %s: %s", buildId, verification.failureReason());
                return failures.sendMessage(CloudEventMessages.forBuild(event.build().buildId(), EventTypes.BUILD_FAILED,
                        new BuildFailed(event.build(), "artifact", verification.failureCode(),
                                verification.failureReason(), false)))
                        .invoke(() -> metrics.counted(event.build(), image.format(), ArtifactMetrics.REJECTED));
            }
            Duration promotion = Duration.ofNanos(System.nanoTime() - started);
            ArtifactEntity artifact = newArtifact(event, buildId, verification.key());
            return Panache.withTransaction(artifact::persist)
                    .flatMap(ignored -> announce(event.build(), artifact))
                    .invoke(() -> metrics.stored(event.build(), artifact.format, artifact.size, promotion));
        });
    }

    private ArtifactEntity newArtifact(BuildCompleted event, UUID buildId, String key) {
        ArtifactEntity artifact = new ArtifactEntity();
        artifact.id = UUID.randomUUID();
        artifact.buildId = buildId;
        artifact.team = event.build().team();
        artifact.specName = event.build().specName();
        artifact.specVersion = event.build().specVersion();
        artifact.specDigest = event.build().specDigest();
        artifact.targetCloud = event.build().target().cloud();
        artifact.format = event.image().format();
        artifact.sha256 = event.image().sha256();
        artifact.size = event.image().size();
        artifact.bucket = store.artifactsBucket();
        artifact.objectKey = key;
        artifact.stagedKey = event.image().key();
        artifact.builder = event.builder();
        artifact.createdAt = OffsetDateTime.now(ZoneOffset.UTC);
        return artifact;
    }

    private Uni<Void> announce(BuildCoordinates build, ArtifactEntity artifact) {
        ArtifactStored event = new ArtifactStored(build, artifact.bucket, artifact.objectKey, artifact.uri(),
                artifact.sha256, artifact.size, artifact.format);
        return stored.sendMessage(CloudEventMessages.forBuild(build.buildId(), EventTypes.ARTIFACT_STORED, event));
    }

    private record Verification(String key, String failureCode, String failureReason) {
        static Verification verified(String key) {
            return new Verification(key, null, null);
        }

        static Verification rejected(String code, String reason) {
            return new Verification(null, code, reason);
        }
    }
}
