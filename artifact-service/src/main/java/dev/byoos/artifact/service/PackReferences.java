package dev.byoos.artifact.service;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.byoos.artifact.repository.PackReferenceEntity;
import dev.byoos.contract.PackPublished;
import dev.byoos.contract.PackRetired;

/**
 * Which builds' artifacts published packs point at, so retention keeps them, and which of those
 * packs were deprecated or revoked (a revoked pack keeps nothing). Idempotent: the row's id derives
 * from (build, pack reference), and a redelivery finds it; a mark is set once, the first time stands.
 */
@ApplicationScoped
public class PackReferences {

    private static final Logger LOG = Logger.getLogger(PackReferences.class);

    /**
     * One statement per pack.published (plain SQL: an entity lookup and flush would cost several times
     * the CPU); the row's derived id makes a redelivery insert nothing.
     */
    private static final String RECORD = "insert into pack_reference (id, build_id, reference, manifest_digest, "
            + "recorded_at) values ($1, $2, $3, $4, $5) on conflict (id) do nothing";

    private final DependencyWaits waits;
    private final Pool pool;

    public PackReferences(DependencyWaits waits, Pool pool) {
        this.waits = waits;
        this.pool = pool;
    }

    /**
     * Waits while the database is down: a lost reference would let retention delete what a
     * published pack points at.
     *
     * @param event a valid pack.published (build id a UUID)
     */
    @WithSpan
    public Uni<Void> record(PackPublished event) {
        UUID buildId = UUID.fromString(event.build().buildId());
        return waits.database(() -> insert(event, buildId),
                waiting -> LOG.warnf("build %s: pack reference not recorded, %s unavailable (attempt %d), retrying: %s",
                        buildId, waiting.dependency(), waiting.attempt(), waiting.failure().getMessage()));
    }

    /**
     * Marks the references to the retired pack version (its build and manifest). A version is
     * retired only once published, long after pack.published was recorded; waits like
     * {@link #record}.
     *
     * @param event   a valid pack.deprecated or pack.revoked (build id a UUID, time ISO-8601)
     * @param revoked true for pack.revoked
     */
    @WithSpan
    public Uni<Void> retire(PackRetired event, boolean revoked) {
        UUID buildId = UUID.fromString(event.buildId());
        OffsetDateTime at = OffsetDateTime.parse(event.at());
        return waits.database(() -> Panache.withTransaction(() -> (revoked
                ? PackReferenceEntity.update("revokedAt = coalesce(revokedAt, ?1), revocationReason = "
                        + "coalesce(revocationReason, ?2) where buildId = ?3 and manifestDigest = ?4", at,
                        event.reason(), buildId, event.manifestDigest())
                : PackReferenceEntity.update("deprecatedAt = coalesce(deprecatedAt, ?1) where buildId = ?2 "
                        + "and manifestDigest = ?3", at, buildId, event.manifestDigest()))
                .invoke(marked -> LOG.infof("build %s: pack %s:%s %s (%d reference(s))", buildId, event.pack(),
                        event.version(), revoked ? "revoked" : "deprecated", marked))
                .replaceWithVoid()),
                waiting -> LOG.warnf("build %s: pack retirement not recorded, %s unavailable (attempt %d), retrying: %s",
                        buildId, waiting.dependency(), waiting.attempt(), waiting.failure().getMessage()));
    }

    private Uni<Void> insert(PackPublished event, UUID buildId) {
        return pool.preparedQuery(RECORD).execute(Tuple.of(PackReferenceEntity.idOf(buildId, event.reference()), buildId,
                event.reference(), event.manifestDigest(), OffsetDateTime.now(ZoneOffset.UTC))).replaceWithVoid();
    }
}
