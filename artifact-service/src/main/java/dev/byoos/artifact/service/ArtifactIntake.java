package dev.byoos.artifact.service;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Context;
import io.vertx.mutiny.core.Vertx;

import dev.byoos.artifact.observability.ArtifactMetrics;
import dev.byoos.artifact.repository.ArtifactEntity;
import dev.byoos.artifact.service.ArtifactPromoter.Promoted;
import dev.byoos.artifact.service.ArtifactPromoter.StagedObjectRejectedException;
import dev.byoos.artifact.signing.ArtifactSigner;
import dev.byoos.artifact.signing.ProvenanceAttestations;
import dev.byoos.artifact.storage.ArtifactStore;
import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildFailed;
import dev.byoos.messaging.resilience.Backoff;
import dev.byoos.messaging.resilience.DependencyWait;
import dev.byoos.messaging.resilience.WaitListener;
import dev.byoos.storage.S3Settings;

/**
 * Turns a completed build into a stored artifact: checks the event against this service's own record
 * of the build ({@link BuildRecords}, {@link SourceCheck}), verifies what the build staged against the bytes
 * in S3, promotes it to its content address, signs the digest, stores the signed provenance beside
 * it ({@link ProvenanceAttestations}) and records it; the outcome is for
 * the consumer to announce.
 *
 * <ul>
 *   <li>An event that claims more than the build's record grants (an unknown build, other
 *       coordinates, another bucket, a key outside the build's prefix) fails with
 *       {@link UntrustedEventException}: counted, dead-lettered by the consumer, nothing recorded or signed.</li>
 *   <li>Idempotent on the build id (unique constraint): a build recorded already is announced again
 *       as it was recorded, without copying anything.</li>
 *   <li>While S3 is unreachable the promotion waits with capped exponential backoff, for as long as
 *       it takes; the caller is told of each wait.</li>
 * </ul>
 */
@ApplicationScoped
public class ArtifactIntake {

    /** The stage a build fails at here ({@code build.failed}). */
    public static final String STAGE = "artifact";

    private static final Logger LOG = Logger.getLogger(ArtifactIntake.class);

    /** What became of a completed build. */
    public sealed interface Outcome permits Stored, Rejected {
    }

    /**
     * The artifact is recorded; {@code announcement} is the same event for every delivery.
     *
     * @param promotion how long verification and promotion took (waits for S3 not included), or
     *                  null when the build was recorded already (a redelivery)
     */
    public record Stored(ArtifactStored announcement, Duration promotion) implements Outcome {

        public boolean alreadyStored() {
            return promotion == null;
        }
    }

    /** What the build staged cannot become an artifact: the build fails. */
    public record Rejected(BuildFailed failure, String imageFormat) implements Outcome {
    }

    private final ArtifactPromoter promoter;
    private final ArtifactSigner signer;
    private final ArtifactMetrics metrics;
    /** Runs the blocking S3 work on worker threads and brings the result back to the message's context. */
    private final Vertx vertx;
    /** Between attempts while S3 is down: {@code byoos.s3.retry.*}. */
    private final Backoff backoff;
    private final String artifactsBucket;
    private final String stagingBucket;
    private final BuildRecords records;
    private final ProvenanceAttestations attestations;
    private final ArtifactStore store;

    public ArtifactIntake(ArtifactPromoter promoter, ArtifactSigner signer, ArtifactMetrics metrics, Vertx vertx,
            S3Settings s3, BuildRecords records, ProvenanceAttestations attestations, ArtifactStore store) {
        this.attestations = attestations;
        this.store = store;
        this.backoff = new Backoff(s3.retry().initialBackoff(), s3.retry().maxBackoff());
        this.artifactsBucket = s3.artifactsBucket();
        this.stagingBucket = s3.stagingBucket();
        this.records = records;
        this.promoter = promoter;
        this.signer = signer;
        this.metrics = metrics;
        this.vertx = vertx;
    }

    /**
     * @param event   a valid build.completed (build id a UUID, provenance times ISO-8601 instants)
     * @param waiting told of each wait for S3, before it starts (to announce it)
     * @throws UntrustedEventException (as the Uni's failure) when the event contradicts the build's record
     */
    @WithSpan
    public Uni<Outcome> store(BuildCompleted event, WaitListener waiting) {
        UUID buildId = UUID.fromString(event.build().buildId());
        // Past the check the event's coordinates are the request's own: everything below may use them.
        return records.requested(buildId)
                .invoke(requested -> SourceCheck.check(event, requested, stagingBucket))
                .onFailure(UntrustedEventException.class)
                .invoke(failure -> metrics.refused(((UntrustedEventException) failure).code()))
                .flatMap(checked -> Panache.withSession(() -> ArtifactEntity.findByBuild(buildId)))
                .flatMap(existing -> existing != null
                        ? Uni.createFrom().item(new Stored(ArtifactAnnouncements.of(event, existing), null))
                        : storeNew(event, buildId, waiting));
    }

    /**
     * Counts an outcome once it was announced: one whose announcement failed is counted when the
     * build is delivered again.
     */
    public void counted(Outcome outcome) {
        if (outcome instanceof Stored stored) {
            ArtifactStored artifact = stored.announcement();
            if (stored.alreadyStored()) {
                metrics.counted(artifact.build(), artifact.format(), ArtifactMetrics.ALREADY_STORED);
            } else {
                metrics.stored(artifact.build(), artifact.format(), artifact.size(), stored.promotion());
            }
        } else if (outcome instanceof Rejected rejected) {
            metrics.counted(rejected.failure().build(), rejected.imageFormat(), ArtifactMetrics.REJECTED);
        }
    }

    /** What one attempt wrote: the promoted objects and the signed provenance beside them. */
    private record Promotion(Promoted promoted, ProvenanceAttestations.Attestation attestation) {
    }

    private Uni<Outcome> storeNew(BuildCompleted event, UUID buildId, WaitListener waiting) {
        AtomicInteger attempts = new AtomicInteger();
        // The promotion time is the successful attempt's: waiting out an S3 outage is counted apart.
        AtomicReference<Duration> promotion = new AtomicReference<>(Duration.ZERO);
        return promoteWaitingForStorage(event, attempts, promotion, waiting)
                .flatMap(written -> record(event, buildId, written))
                .<Outcome>map(artifact -> new Stored(ArtifactAnnouncements.of(event, artifact), promotion.get()))
                .onFailure(StagedObjectRejectedException.class).recoverWithItem(failure -> {
                    StagedObjectRejectedException rejected = (StagedObjectRejectedException) failure;
                    LOG.warnf("build %s: %s", buildId, rejected.getMessage());
                    return new Rejected(new BuildFailed(event.build(), STAGE, rejected.code(), rejected.getMessage(),
                            false, BuildFailed.BUILDER, attempts.get()), event.image().format());
                });
    }

    /**
     * The blocking S3 work on a worker thread, waited out while S3 is unavailable. The result comes
     * back on this message's Vert.x context, where Hibernate Reactive must run: the waits are
     * scheduled from Mutiny's executor, not from the event loop.
     */
    private Uni<Promotion> promoteWaitingForStorage(BuildCompleted event, AtomicInteger attempts,
            AtomicReference<Duration> promotion, WaitListener waiting) {
        Context context = vertx.getOrCreateContext();
        // One wait per event: its listener speaks for this build.
        DependencyWait wait = new DependencyWait(backoff, pause -> {
            LOG.warnf("build %s: S3 unavailable (attempt %d), retrying: %s", event.build().buildId(), pause.attempt(),
                    pause.failure().getMessage());
            metrics.storageUnavailable(event.build(), event.image().format());
            waiting.waiting(pause);
        });
        return wait.<Promotion>retrying(() -> vertx.executeBlocking(Uni.createFrom().item(() -> {
                    attempts.incrementAndGet();
                    long started = System.nanoTime();
                    Promoted promoted = promoter.promote(event);
                    ProvenanceAttestations.Attestation attestation = attestations.attest(event, promoted.image().key(),
                            promoted.image().sha256());
                    store.put(attestation.key(), attestation.envelope());
                    promotion.set(Duration.ofNanos(System.nanoTime() - started));
                    return new Promotion(promoted, attestation);
                })))
                .emitOn(command -> context.runOnContext(command));
    }

    private Uni<ArtifactEntity> record(BuildCompleted event, UUID buildId, Promotion promotion) {
        ArtifactEntity artifact = newArtifact(event, buildId, promotion.promoted());
        artifact.attestationKey = promotion.attestation().key();
        artifact.attestationSha256 = promotion.attestation().sha256();
        artifact.attestationSize = (long) promotion.attestation().envelope().length;
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
        artifact.bucket = artifactsBucket;
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
            artifact.buildStartedAt = instant(provenance.startedAt());
            artifact.buildFinishedAt = instant(provenance.finishedAt());
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

    /** The consumer checked that provenance times are ISO-8601 instants before the build got here. */
    private static OffsetDateTime instant(String value) {
        return Instant.parse(value).atOffset(ZoneOffset.UTC);
    }
}
