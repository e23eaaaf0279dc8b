package dev.byoos.spec.service;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.NotFoundException;

import io.opentelemetry.instrumentation.annotations.SpanAttribute;
import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

import dev.byoos.spec.BuildTrigger;
import dev.byoos.spec.model.ImageSpec;
import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.IdempotencyKeyEntity;
import dev.byoos.spec.repository.SpecEntity;

/**
 * Accepts a validated spec: stores it as the next immutable version, creates one build per
 * target, and writes one build request per build to the outbox, all in one transaction. Either
 * everything is stored and will be published, or nothing is.
 */
@ApplicationScoped
public class SpecIntake {

    /** The CloudEvent source of events spec-service records and publishes itself. */
    public static final String SOURCE = "urn:byoos:spec-service";

    private final AfterCommit afterCommit;

    public SpecIntake(AfterCommit afterCommit) {
        this.afterCommit = afterCommit;
    }

    /**
     * @param spec       the stored spec version
     * @param builds     one build per target: new ones, or the existing ones of an identical spec
     * @param newVersion false when the submission was identical to the latest stored version
     * @param created    the builds this request created (none for a replay or an unchanged resubmission)
     */
    public record Accepted(SpecEntity spec, List<BuildEntity> builds, boolean newVersion, List<BuildEntity> created) {
    }

    /**
     * Stores the spec. Submitting a spec identical to its latest version (same canonical digest)
     * creates no new version: its builds are returned as they are, except that a target whose
     * build failed is built again as the next attempt. This makes resubmission safe to repeat.
     */
    public Uni<Accepted> accept(ImageSpec spec, BuildTrigger trigger) {
        return accept(spec, false, trigger);
    }

    /**
     * @param force   build every target again even when an identical spec's target is already published
     * @param trigger why the builds this creates exist
     */
    @WithSpan("spec.accept")
    public Uni<Accepted> accept(ImageSpec spec, @SpanAttribute("byoos.force") boolean force, BuildTrigger trigger) {
        String document = CanonicalSpecs.canonicalJson(spec);
        String digest = CanonicalSpecs.sha256(document);
        return Panache.withTransaction(() -> store(spec, document, digest, force, trigger))
                .invoke(accepted -> afterCommit.created(accepted.created()));
    }

    /**
     * {@link #accept(ImageSpec)} under an Idempotency-Key: the first submission with the key is
     * accepted and its outcome recorded in the same transaction; a repeat with the same spec gets
     * that outcome (same status, same builds) without side effects; a repeat with another spec is
     * refused.
     */
    @WithSpan("spec.accept")
    public Uni<Accepted> accept(ImageSpec spec, String idempotencyKey, @SpanAttribute("byoos.force") boolean force,
            BuildTrigger trigger) {
        String document = CanonicalSpecs.canonicalJson(spec);
        String digest = CanonicalSpecs.sha256(document);
        String team = spec.metadata().team();
        // Keys are the team's own: another team's request with the same key neither replays nor sees this one.
        return Panache.withTransaction(() -> IdempotencyKeyEntity
                .<IdempotencyKeyEntity>findById(new IdempotencyKeyEntity.Key(team, idempotencyKey))
                .flatMap(recorded -> {
                    if (recorded != null) {
                        return replay(recorded, digest);
                    }
                    return store(spec, document, digest, force, trigger)
                            .call(accepted -> record(team, idempotencyKey, accepted));
                }))
                .onFailure(Transactions::isUniqueViolation).transform(failure -> new BuildConflictException(
                        "another request with Idempotency-Key " + idempotencyKey + " is being processed"))
                .invoke(accepted -> afterCommit.created(accepted.created()));
    }

    /**
     * Builds the latest version of a stored spec again, exactly as if it had been resubmitted:
     * targets in progress are left alone, published ones are REUSED unless {@code force}.
     *
     * @param idempotencyKey null, or a key under which a repeat of this request changes nothing
     */
    @WithSpan("spec.rebuild")
    public Uni<Accepted> rebuild(String team, String name, boolean force, String idempotencyKey,
            BuildTrigger trigger) {
        return Panache.withSession(() -> SpecEntity.latest(team, name))
                .onItem().ifNull().failWith(() -> new NotFoundException("team " + team + " has no spec " + name))
                .flatMap(latest -> {
                    ImageSpec spec = CanonicalSpecs.read(latest);
                    return idempotencyKey == null ? accept(spec, force, trigger)
                            : accept(spec, idempotencyKey, force, trigger);
                });
    }

    /**
     * Inside a transaction: an identical spec (same canonical digest as any stored version) is a
     * resubmission of that version; anything else becomes the next version, once the pack rules
     * hold. Either way the pack name must be the team's own.
     */
    private static Uni<Accepted> store(ImageSpec spec, String document, String digest, boolean force,
            BuildTrigger trigger) {
        String packVersion = spec.spec().pack().version();
        return PackNames.claim(spec.metadata().team(), spec.spec().pack().name())
                .flatMap(claimed -> SpecEntity.relatedVersions(spec.metadata().team(), spec.metadata().name(), digest,
                        packVersion))
                .flatMap(related -> {
                    SpecEntity identical = related.stream().filter(v -> v.digest.equals(digest)).findFirst().orElse(null);
                    if (identical != null) {
                        return SpecBuilds.forResubmission(spec, identical, force, trigger);
                    }
                    SpecEntity latest = related.stream().max(Comparator.comparingInt(v -> v.version)).orElse(null);
                    SpecEntity packVersionOwner = related.stream()
                            .filter(v -> v.packVersion.equals(packVersion)).findFirst().orElse(null);
                    PackHistory.check(latest, packVersionOwner, spec);
                    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
                    return SpecBuilds.forNewVersion(spec, newVersion(spec, document, digest,
                            latest == null ? 1 : latest.version + 1, now), now, trigger);
                });
    }

    private static SpecEntity newVersion(ImageSpec spec, String document, String digest, int version,
            OffsetDateTime now) {
        SpecEntity specEntity = new SpecEntity();
        specEntity.id = UUID.randomUUID();
        specEntity.team = spec.metadata().team();
        specEntity.name = spec.metadata().name();
        specEntity.version = version;
        specEntity.digest = digest;
        specEntity.document = document;
        specEntity.packVersion = spec.spec().pack().version();
        specEntity.createdAt = now;
        return specEntity;
    }

    private static Uni<IdempotencyKeyEntity> record(String team, String key, Accepted accepted) {
        IdempotencyKeyEntity record = new IdempotencyKeyEntity();
        record.team = team;
        record.key = key;
        record.specId = accepted.spec().id;
        record.specDigest = accepted.spec().digest;
        record.newVersion = accepted.newVersion();
        record.createdAt = OffsetDateTime.now(ZoneOffset.UTC);
        return record.persist();
    }

    private static Uni<Accepted> replay(IdempotencyKeyEntity recorded, String digest) {
        if (!recorded.specDigest.equals(digest)) {
            return Uni.createFrom().failure(new IdempotencyKeyReusedException("Idempotency-Key " + recorded.key
                    + " was used for a different spec (digest " + recorded.specDigest + "); use a new key"));
        }
        return SpecEntity.<SpecEntity>findById(recorded.specId).flatMap(spec -> BuildEntity
                .<BuildEntity>list("spec = ?1 order by attempt", spec)
                .map(builds -> new Accepted(spec, List.copyOf(SpecBuilds.latestByCloud(builds).values()),
                        recorded.newVersion, List.of())));
    }
}
