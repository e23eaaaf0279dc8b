package dev.byoos.artifact.service;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

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

    /** @param event a valid pack.published (build id a UUID) */
    @WithSpan
    public Uni<Void> record(PackPublished event) {
        UUID buildId = UUID.fromString(event.build().buildId());
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
