package dev.byoos.artifact.service;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Context;
import io.vertx.mutiny.core.Vertx;

import dev.byoos.artifact.config.RetentionConfig;
import dev.byoos.artifact.repository.ArtifactEntity;
import dev.byoos.artifact.repository.ArtifactSummary;
import dev.byoos.artifact.repository.ObjectLocks;
import dev.byoos.artifact.storage.ArtifactStore;

/**
 * Deletes artifacts nobody should need any more: beyond the newest {@code keepLast} of their team,
 * spec and target, older than the grace period, and referenced by no published pack. An object
 * (image, SBOM, log) is deleted only when no remaining artifact points at it, since identical
 * content is stored once for every build that made it.
 *
 * <p>Records go first, in one transaction, then the objects, each in a transaction of its own that
 * holds the object's lock ({@link ObjectLocks}) and deletes it only if still no artifact points at
 * it. A build that found the object promoted by an identical build and skipped its copy records
 * itself under the same lock after checking the object is there: it either keeps the object alive
 * or sees it gone and copies it again. A failure between records and objects leaves objects without
 * records (space, reported), never records without objects.
 */
@ApplicationScoped
public class ArtifactRetention {

    private static final Logger LOG = Logger.getLogger(ArtifactRetention.class);

    /**
     * Ranks each artifact within its team, spec and target, newest first, and keeps the expired
     * ones beyond the newest {@code :keep} that no pack references (a revoked pack references nothing;
     * a deprecated one still does).
     */
    private static final String EXPIRED = """
            select ranked.id from (
                select a.id, a.build_id, a.created_at,
                       row_number() over (partition by a.team, a.spec_name, a.target_cloud, a.target_format
                                          order by a.created_at desc, a.id) as newest_first
                from artifact a
            ) ranked
            where ranked.newest_first > :keep
              and ranked.created_at < :cutoff
              and not exists (select 1 from pack_reference p
                              where p.build_id = ranked.build_id and p.revoked_at is null)
            """;

    private final RetentionConfig config;
    private final ArtifactStore store;
    /** Object deletions block: they run on a worker thread, each in its object's locked transaction. */
    private final Vertx vertx;

    /** An artifact retention deletes. */
    public record Expired(String buildId, String team, String spec, int specVersion, String target, String sha256,
            long size, OffsetDateTime createdAt) {
    }

    /**
     * @param objects        keys that no artifact would point at any more, hence deleted
     * @param failedObjects  keys whose deletion failed (a run only); their records are gone
     */
    public record Plan(int keepLast, String gracePeriod, OffsetDateTime cutoff, List<Expired> artifacts,
            List<String> objects, List<String> failedObjects, boolean dryRun) {
    }

    public ArtifactRetention(RetentionConfig config, ArtifactStore store, Vertx vertx) {
        this.config = config;
        this.store = store;
        this.vertx = vertx;
    }

    /** What a run would delete now; changes nothing. */
    @WithSpan
    public Uni<Plan> plan() {
        OffsetDateTime cutoff = OffsetDateTime.now(ZoneOffset.UTC).minus(config.gracePeriod());
        return Panache.withSession(() -> expired(cutoff).flatMap(expired -> orphanedObjects(expired)
                .map(objects -> plan(cutoff, expired, objects, List.of(), true))));
    }

    /** Deletes what {@link #plan()} lists, as it stands at the moment of the run. */
    @WithSpan
    public Uni<Plan> run() {
        OffsetDateTime cutoff = OffsetDateTime.now(ZoneOffset.UTC).minus(config.gracePeriod());
        return Panache.withTransaction(() -> expired(cutoff).flatMap(expired -> orphanedObjects(expired)
                        .flatMap(objects -> (expired.isEmpty() ? Uni.createFrom().item(0L)
                                : ArtifactEntity.delete("id in ?1", ids(expired)))
                                .replaceWith(new Selection(expired, objects)))))
                .flatMap(selection -> deleteObjects(selection.objects()).map(deletion -> plan(cutoff,
                        selection.expired(), deletion.unreferenced(), deletion.failed(), false)));
    }

    /**
     * The objects no artifact pointed at when their turn came, and those of them whose deletion
     * failed; an object an artifact took up meanwhile is in neither.
     */
    private record Deletion(List<String> unreferenced, List<String> failed) {
    }

    private Uni<Deletion> deleteObjects(List<String> keys) {
        Deletion deletion = new Deletion(new ArrayList<>(), new ArrayList<>());
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (String key : keys) {
            chain = chain.flatMap(previous -> deleteUnreferenced(key, deletion));
        }
        return chain.replaceWith(deletion);
    }

    /** Deletes {@code key} under its lock, unless an artifact recorded since the run began points at it. */
    private Uni<Void> deleteUnreferenced(String key, Deletion deletion) {
        Context context = vertx.getOrCreateContext();
        return Panache.withTransaction(() -> ObjectLocks.lock(List.of(key))
                .flatMap(locked -> ObjectLocks.references(key))
                .flatMap(references -> {
                    if (references > 0) {
                        LOG.infof("retention: %s is kept, an artifact recorded since points at it", key);
                        return Uni.createFrom().voidItem();
                    }
                    return vertx.executeBlocking(Uni.createFrom().item(() -> delete(key)))
                            .emitOn(command -> context.runOnContext(command))
                            .invoke(deleted -> {
                                deletion.unreferenced().add(key);
                                if (!deleted) {
                                    deletion.failed().add(key);
                                }
                            })
                            .replaceWithVoid();
                }));
    }

    private record Selection(List<ArtifactSummary> expired, List<String> objects) {
    }

    private Uni<List<ArtifactSummary>> expired(OffsetDateTime cutoff) {
        return Panache.getSession().flatMap(session -> session.createNativeQuery(EXPIRED, UUID.class)
                        .setParameter("keep", config.keepLast())
                        .setParameter("cutoff", cutoff)
                        .getResultList()
                        .flatMap(ids -> ids.isEmpty() ? Uni.createFrom().item(List.<ArtifactSummary>of())
                                : session.createSelectionQuery(ArtifactSummary.SELECT
                                                + "where a.id in :ids order by a.createdAt", ArtifactSummary.class)
                                        .setParameter("ids", ids).getResultList()));
    }

    /** The keys of the expired artifacts that no other artifact shares. */
    private Uni<List<String>> orphanedObjects(List<ArtifactSummary> expired) {
        Set<String> candidates = new LinkedHashSet<>();
        for (ArtifactSummary artifact : expired) {
            candidates.add(artifact.objectKey());
            if (artifact.sbomKey() != null) {
                candidates.add(artifact.sbomKey());
            }
            if (artifact.logKey() != null) {
                candidates.add(artifact.logKey());
            }
        }
        if (candidates.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return Panache.getSession().flatMap(session -> session.createSelectionQuery(ArtifactSummary.SELECT
                        + "where a.id not in :expired and (a.objectKey in :keys or a.sbomKey in :keys or a.logKey in :keys)",
                        ArtifactSummary.class)
                .setParameter("expired", ids(expired)).setParameter("keys", candidates).getResultList())
                .map(remaining -> {
                    Set<String> stillUsed = new LinkedHashSet<>();
                    for (ArtifactSummary artifact : remaining) {
                        stillUsed.add(artifact.objectKey());
                        stillUsed.add(artifact.sbomKey());
                        stillUsed.add(artifact.logKey());
                    }
                    return candidates.stream().filter(key -> !stillUsed.contains(key)).toList();
                });
    }

    private boolean delete(String key) {
        try {
            store.delete(key);
            return true;
        } catch (RuntimeException e) {
            LOG.warnf("retention: could not delete %s (its record is gone): %s", key, e.getMessage());
            return false;
        }
    }

    private Plan plan(OffsetDateTime cutoff, List<ArtifactSummary> expired, List<String> objects, List<String> failed,
            boolean dryRun) {
        return new Plan(config.keepLast(), config.gracePeriod().toString(), cutoff,
                expired.stream().map(artifact -> new Expired(artifact.buildId().toString(), artifact.team(),
                        artifact.specName(), artifact.specVersion(), artifact.targetCloud() + "/" + artifact.targetFormat(),
                        artifact.sha256(), artifact.size(), artifact.createdAt())).toList(),
                objects, failed, dryRun);
    }

    private static List<UUID> ids(List<ArtifactSummary> artifacts) {
        return artifacts.stream().map(ArtifactSummary::id).toList();
    }
}
