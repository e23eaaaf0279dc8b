package dev.byoos.artifact.repository;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

/** A published pack that points at the artifact of a build: that artifact is kept. */
@Entity
@Table(name = "pack_reference")
public class PackReferenceEntity extends PanacheEntityBase {

    /** {@link #idOf}: one row per build and pack reference, however often the event arrives. */
    @Id
    public UUID id;
    @Column(name = "build_id")
    public UUID buildId;
    public String reference;
    @Column(name = "manifest_digest")
    public String manifestDigest;
    @Column(name = "recorded_at")
    public OffsetDateTime recordedAt;
    @Column(name = "deprecated_at")
    public OffsetDateTime deprecatedAt;
    /** Once set, this reference no longer keeps the build's artifact from retention. */
    @Column(name = "revoked_at")
    public OffsetDateTime revokedAt;
    @Column(name = "revocation_reason")
    public String revocationReason;

    public static UUID idOf(UUID buildId, String reference) {
        return UUID.nameUUIDFromBytes((buildId + "|" + reference).getBytes(StandardCharsets.UTF_8));
    }
}
