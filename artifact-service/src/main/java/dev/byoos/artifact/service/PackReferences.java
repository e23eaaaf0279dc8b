package dev.byoos.artifact.service;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

import dev.byoos.artifact.repository.PackReferenceEntity;
import dev.byoos.contract.PackPublished;

/**
 * Which builds' artifacts published packs point at, so retention keeps them. Idempotent: the row's
 * id derives from (build, pack reference), and a redelivery finds it.
 */
@ApplicationScoped
public class PackReferences {

    private static final Logger LOG = Logger.getLogger(PackReferences.class);

    private final DependencyWaits waits;

    public PackReferences(DependencyWaits waits) {
        this.waits = waits;
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

    private static Uni<Void> insert(PackPublished event, UUID buildId) {
        UUID id = PackReferenceEntity.idOf(buildId, event.reference());
        return Panache.withTransaction(() -> PackReferenceEntity.<PackReferenceEntity>findById(id)
                .flatMap(existing -> {
                    if (existing != null) {
                        return Uni.createFrom().voidItem();
                    }
                    PackReferenceEntity reference = new PackReferenceEntity();
                    reference.id = id;
                    reference.buildId = buildId;
                    reference.reference = event.reference();
                    reference.manifestDigest = event.manifestDigest();
                    reference.recordedAt = OffsetDateTime.now(ZoneOffset.UTC);
                    return reference.persist().replaceWithVoid();
                }));
    }
}
