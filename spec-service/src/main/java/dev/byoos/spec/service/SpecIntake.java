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
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;

import dev.byoos.spec.BuildTrigger;
import dev.byoos.spec.model.ImageSpec;
import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.SpecEntity;

/**
 * Accepts a validated spec: stores it as the next immutable version, creates one build per
 * target, and writes one build request per build to the outbox, all in one transaction. Either
 * everything is stored and will be published, or nothing is. The statements are plain SQL on the
 * reactive pool ({@link IntakeRows}).
 */
@ApplicationScoped
public class SpecIntake {

    /** The CloudEvent source of events spec-service records and publishes itself. */
    public static final String SOURCE = "urn:byoos:spec-service";
    /**
     * How often a submission that lost the race for its version (or Idempotency-Key) to a concurrent
     * one is tried again before it is a 409: each loss means another submission of the same spec
     * committed meanwhile, so more than a few in a row is a client hammering one spec.
     */
    static final int RACES_RETRIED = 3;

    private final AfterCommit afterCommit;
    private final Pool pool;

    public SpecIntake(AfterCommit afterCommit, Pool pool) {
        this.afterCommit = afterCommit;
        this.pool = pool;
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
        return accept(spec, null, force, trigger);
    }

    /**
     * {@link #accept(ImageSpec)} under an Idempotency-Key: the first submission with the key is
     * accepted and its outcome recorded in the same transaction; a repeat with the same spec gets
     * that outcome (same status, same builds) without side effects; a repeat with another spec is
     * refused.
     *
     * @param idempotencyKey null for a submission without one
     */
    @WithSpan("spec.accept")
    public Uni<Accepted> accept(ImageSpec spec, String idempotencyKey, @SpanAttribute("byoos.force") boolean force,
            BuildTrigger trigger) {
        String document = CanonicalSpecs.canonicalJson(spec);
        String digest = CanonicalSpecs.sha256(document);
        String team = spec.metadata().team();
        return Uni.createFrom().deferred(() -> pool.withTransaction(connection -> idempotencyKey == null
                ? store(connection, spec, document, digest, force, trigger, null)
                // Keys are the team's own: another team's request with the same key neither replays nor sees this one.
                : IntakeRows.recordedKey(connection, team, idempotencyKey).flatMap(recorded -> recorded != null
                        ? replay(connection, recorded, digest)
                        : store(connection, spec, document, digest, force, trigger, idempotencyKey))))
                // Losing a race means the winner has committed (the losing insert waited on its lock): the
                // next attempt sees its version or its key, and stores the next version or replays.
                .onFailure(Transactions::isUniqueViolation).retry().atMost(RACES_RETRIED)
                .onFailure(Transactions::isUniqueViolation)
                .transform(failure -> new BuildConflictException(idempotencyKey != null
                        ? "another request with Idempotency-Key " + idempotencyKey + " is being processed"
                        : "another submission of spec " + spec.metadata().name() + " was stored at the same moment;"
                                + " submit again"))
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
                .flatMap(latest -> accept(CanonicalSpecs.read(latest), idempotencyKey, force, trigger));
    }

    /**
     * Inside a transaction: an identical spec (same canonical digest as any stored version) is a
     * resubmission of that version; anything else becomes the next version, once the pack rules
     * hold. Either way the pack name must be the team's own.
     */
    private static Uni<Accepted> store(SqlConnection connection, ImageSpec spec, String document, String digest,
            boolean force, BuildTrigger trigger, String idempotencyKey) {
        String team = spec.metadata().team();
        String packName = spec.spec().pack().name();
        String packVersion = spec.spec().pack().version();
        return IntakeRows.claimAndReadHistory(connection, team, spec.metadata().name(), packName, digest, packVersion)
                .flatMap(history -> {
                    PackNames.requireOwner(team, packName, history.packNameOwner());
                    List<SpecEntity> related = history.relatedVersions();
                    SpecEntity identical = related.stream().filter(v -> v.digest.equals(digest)).findFirst().orElse(null);
                    if (identical != null) {
                        return SpecBuilds.forResubmission(connection, spec, identical, force, trigger, idempotencyKey);
                    }
                    SpecEntity latest = related.stream().max(Comparator.comparingInt(v -> v.version)).orElse(null);
                    SpecEntity packVersionOwner = related.stream()
                            .filter(v -> v.packVersion.equals(packVersion)).findFirst().orElse(null);
                    PackHistory.check(latest, packVersionOwner, spec);
                    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
                    return SpecBuilds.forNewVersion(connection, spec, newVersion(spec, document, digest,
                            latest == null ? 1 : latest.version + 1, now), now, trigger, idempotencyKey);
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

    private static Uni<Accepted> replay(SqlConnection connection, IntakeRows.RecordedKey recorded, String digest) {
        if (!recorded.specDigest().equals(digest)) {
            return Uni.createFrom().failure(new IdempotencyKeyReusedException("Idempotency-Key " + recorded.key()
                    + " was used for a different spec (digest " + recorded.specDigest() + "); use a new key"));
        }
        return IntakeRows.spec(connection, recorded.specId()).flatMap(spec -> IntakeRows.builds(connection, spec)
                .map(builds -> new Accepted(spec, List.copyOf(SpecBuilds.latestByCloud(builds.byAttempt()).values()),
                        recorded.newVersion(), List.of())));
    }
}
