package dev.byoos.artifact.service;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Context;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;

import dev.byoos.artifact.observability.ArtifactMetrics;
import dev.byoos.artifact.repository.ArtifactEntity;
import dev.byoos.artifact.repository.ArtifactRows;
import dev.byoos.artifact.repository.ObjectLocks;
import dev.byoos.artifact.service.ArtifactPromoter.Promoted;
import dev.byoos.artifact.service.ArtifactPromoter.StagedObjectRejectedException;
import dev.byoos.artifact.signing.ArtifactSigner;
import dev.byoos.artifact.signing.ProvenanceAttestations;
import dev.byoos.artifact.storage.ArtifactStore;
import dev.byoos.artifact.storage.ArtifactStore.StorageRefusedException;
import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCompleted.StagedObject;
import dev.byoos.contract.BuildFailed;
import dev.byoos.messaging.resilience.Backoff;
import dev.byoos.messaging.resilience.WaitAbandonedException;
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
 *   <li>While S3 or the database is unreachable the work waits with capped exponential backoff,
 *       for as long as it takes; the caller is told of each wait. A permanent refusal (S3 access
 *       denied, no such bucket; a constraint violation) fails the build at once.</li>
 *   <li>Once the build is recorded (or failed here) its staged objects are removed.</li>
 * </ul>
 */
@ApplicationScoped
public class ArtifactIntake {

    /** The stage a build fails at here ({@code build.failed}). */
    public static final String STAGE = "artifact";

    /** build.failed codes of the permanent failures of this stage's dependencies. */
    public static final String STORAGE_REFUSED = "STORAGE_REFUSED";
    public static final String DATABASE_REFUSED = "DATABASE_REFUSED";

    private static final Logger LOG = Logger.getLogger(ArtifactIntake.class);
    private static final String ARTIFACT_BUILD_UNIQUE = "artifact_build_unique";
    /** Retention taking a reused object twice in a row for one build is rare; more is a fault. */
    private static final int MAX_RETIRED_RETRIES = 3;

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
    private final DependencyWaits waits;
    /** The artifact row's statements: plain SQL, one transaction per recorded build ({@link ArtifactRows}). */
    private final Pool pool;

    public ArtifactIntake(ArtifactPromoter promoter, ArtifactSigner signer, ArtifactMetrics metrics, Vertx vertx,
            S3Settings s3, BuildRecords records, ProvenanceAttestations attestations, ArtifactStore store,
            DependencyWaits waits, Pool pool) {
        this.waits = waits;
        this.pool = pool;
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
        return waits.database(() -> records.requested(buildId), waiting)
                .invoke(requested -> SourceCheck.check(event, requested, stagingBucket))
                .onFailure(UntrustedEventException.class)
                .invoke(failure -> metrics.refused(((UntrustedEventException) failure).code()))
                .flatMap(checked -> waits.database(() -> ArtifactRows.findByBuild(pool, buildId), waiting))
                .flatMap(existing -> existing != null
                        ? Uni.createFrom().item(new Stored(ArtifactAnnouncements.of(event, existing), null))
                        : storeNew(event, buildId, waiting))
                .call(outcome -> removeStaged(event));
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
                .flatMap(written -> waits.database(() -> record(event, buildId, written), waiting))
                // Retention took an object this build found promoted already: promote it again.
                .onFailure(ObjectRetiredException.class).retry().atMost(MAX_RETIRED_RETRIES)
                .<Outcome>map(artifact -> new Stored(ArtifactAnnouncements.of(event, artifact), promotion.get()))
                .onFailure(StagedObjectRejectedException.class).recoverWithItem(failure -> {
                    StagedObjectRejectedException rejected = (StagedObjectRejectedException) failure;
                    LOG.warnf("build %s: %s", buildId, rejected.getMessage());
                    return rejected(event, rejected.code(), rejected.getMessage(), BuildFailed.BUILDER, attempts);
                })
                .onFailure(StorageRefusedException.class).recoverWithItem(failure -> {
                    LOG.warnf("build %s: %s", buildId, failure.getMessage());
                    return rejected(event, STORAGE_REFUSED, failure.getMessage(), BuildFailed.INFRASTRUCTURE, attempts);
                })
                .onFailure(ArtifactIntake::isDatabaseRefusal).recoverWithItem(failure -> {
                    LOG.warnf("build %s: the database refused its artifact: %s", buildId, failure.getMessage());
                    return rejected(event, DATABASE_REFUSED, "the database refused the artifact record of build "
                            + buildId + ": " + failure.getMessage(), BuildFailed.INFRASTRUCTURE, attempts);
                });
    }

    private static Rejected rejected(BuildCompleted event, String code, String reason, String category,
            AtomicInteger attempts) {
        return new Rejected(new BuildFailed(event.build(), STAGE, code, reason, false, category, attempts.get()),
                event.image().format());
    }

    /**
     * A database error that is no outage (those were waited out) while recording: a constraint
     * violation other than the build's own duplicate, a value out of range. Anything else that
     * failed here is a fault of this service, left to the dead-letter topic.
     */
    private static boolean isDatabaseRefusal(Throwable failure) {
        if (failure instanceof WaitAbandonedException) {
            return false;
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof io.vertx.sqlclient.DatabaseException) {
                return true;
            }
        }
        return false;
    }

    /**
     * The staged objects are this attempt's own keys ({@link SourceCheck}: under the build's prefix;
     * another attempt stages under its own): once the build is recorded, or failed here, nothing
     * needs them, and an identical build reuses the promoted copy, never these. One request per
     * bucket deletes them all (the source check holds them to the staging bucket). A failure to
     * delete is only logged; the staging bucket's lifecycle rule is the backstop.
     */
    private Uni<Void> removeStaged(BuildCompleted event) {
        Context context = vertx.getOrCreateContext();
        Map<String, List<String>> byBucket = stagedObjects(event).stream().collect(Collectors.groupingBy(
                StagedObject::bucket, TreeMap::new, Collectors.mapping(StagedObject::key, Collectors.toList())));
        return vertx.executeBlocking(Uni.createFrom().item(() -> {
                    byBucket.forEach((bucket, keys) -> {
                        try {
                            store.deleteStaged(bucket, keys);
                        } catch (RuntimeException e) {
                            LOG.warnf("build %s: staged %s/%s not all removed (the lifecycle rule will): %s",
                                    event.build().buildId(), bucket, keys, e.getMessage());
                        }
                    });
                    return null;
                }))
                .emitOn(command -> context.runOnContext(command))
                .replaceWithVoid();
    }

    private static List<StagedObject> stagedObjects(BuildCompleted event) {
        List<StagedObject> staged = new ArrayList<>();
        staged.add(event.image());
        if (event.sbom() != null) {
            staged.add(event.sbom());
        }
        if (event.log() != null) {
            staged.add(event.log());
        }
        return staged;
    }

    /**
     * The blocking S3 work on a worker thread, waited out while S3 is unavailable. The result comes
     * back on this message's Vert.x context, where the rest of its work runs: the waits are
     * scheduled from Mutiny's executor, not from the event loop.
     */
    private Uni<Promotion> promoteWaitingForStorage(BuildCompleted event, AtomicInteger attempts,
            AtomicReference<Duration> promotion, WaitListener waiting) {
        // One wait per event: its listener speaks for this build.
        return waits.<Promotion>waitingOut(backoff, () -> vertx.executeBlocking(Uni.createFrom().item(() -> {
                    attempts.incrementAndGet();
                    long started = System.nanoTime();
                    Promoted promoted = promoter.promote(event);
                    ProvenanceAttestations.Attestation attestation = attestations.attest(event, promoted.image().key(),
                            promoted.image().sha256());
                    store.put(attestation.key(), attestation.envelope());
                    promotion.set(Duration.ofNanos(System.nanoTime() - started));
                    return new Promotion(promoted, attestation);
                })), pause -> {
                    LOG.warnf("build %s: S3 unavailable (attempt %d), retrying: %s", event.build().buildId(),
                            pause.attempt(), pause.failure().getMessage());
                    metrics.storageUnavailable(event.build(), event.image().format());
                    waiting.waiting(pause);
                });
    }

    /**
     * Records the artifact in one transaction on the reactive pool. Its row is written first, then the keys of the objects it points at are
     * locked ({@link ObjectLocks}) and checked to be still there: retention deletes an object only
     * under the same lock when no artifact points at it, so an object this build found promoted by an
     * identical build is either still there and now referenced, or gone and promoted again
     * ({@link ObjectRetiredException}).
     */
    private Uni<ArtifactEntity> record(BuildCompleted event, UUID buildId, Promotion promotion) {
        ArtifactEntity artifact = newArtifact(event, buildId, promotion.promoted());
        artifact.attestationKey = promotion.attestation().key();
        artifact.attestationSha256 = promotion.attestation().sha256();
        artifact.attestationSize = (long) promotion.attestation().envelope().length;
        Context context = vertx.getOrCreateContext();
        List<ArtifactPromoter.Stored> objects = promotion.promoted().objects();
        return pool.withTransaction(connection -> ArtifactRows.insert(connection, artifact)
                        .call(() -> ObjectLocks.lock(connection,
                                objects.stream().map(ArtifactPromoter.Stored::key).toList()))
                        .call(() -> vertx.executeBlocking(Uni.createFrom().item(() -> missing(objects)))
                                .emitOn(command -> context.runOnContext(command))
                                .invoke(missing -> {
                                    if (!missing.isEmpty()) {
                                        throw new ObjectRetiredException(buildId, missing);
                                    }
                                })))
                .replaceWith(artifact)
                // Another consumer may have recorded the build between our lookup and this insert
                // (a redelivery during a rebalance): the unique build id refused ours, theirs stands.
                .onFailure(ArtifactIntake::isDuplicateBuild)
                .recoverWithUni(failure -> ArtifactRows.findByBuild(pool, buildId).onItem().ifNull().failWith(failure));
    }

    private List<String> missing(List<ArtifactPromoter.Stored> objects) {
        return objects.stream().filter(object -> !store.holds(object.key(), object.size()))
                .map(ArtifactPromoter.Stored::key).toList();
    }

    /** The unique build id refused a second artifact of the build (SQLSTATE 23505 on artifact_build_unique). */
    private static boolean isDuplicateBuild(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof io.vertx.pgclient.PgException pg) {
                return "23505".equals(pg.getSqlState()) && pg.getMessage().contains(ARTIFACT_BUILD_UNIQUE);
            }
        }
        return false;
    }

    /** Retention deleted an object this build found promoted before it could point at it. */
    static class ObjectRetiredException extends RuntimeException {
        ObjectRetiredException(UUID buildId, List<String> keys) {
            super("build " + buildId + ": retention deleted " + keys + " before the build pointed at it");
        }
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
