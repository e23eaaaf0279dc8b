package dev.byoos.artifact.repository;

import java.time.OffsetDateTime;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;

/**
 * A build as spec-service requested it ({@code build.requested}): the record a {@code build.completed}
 * is checked against. The first request of a build id is kept; a redelivery changes nothing.
 */
@Entity
@Table(name = "build_record")
public class BuildRecordEntity extends PanacheEntityBase {

    @Id
    @Column(name = "build_id")
    public UUID buildId;
    public String team;
    @Column(name = "spec_name")
    public String specName;
    @Column(name = "spec_version")
    public int specVersion;
    @Column(name = "spec_digest")
    public String specDigest;
    @Column(name = "pack_name")
    public String packName;
    /** The request's {@code BuildCoordinates} as JSON. */
    public String coordinates;
    @Column(name = "recorded_at")
    public OffsetDateTime recordedAt;

    public static Uni<BuildRecordEntity> findByBuild(UUID buildId) {
        return findById(buildId);
    }
}
