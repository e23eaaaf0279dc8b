package dev.byoos.artifact.repository;

import java.time.OffsetDateTime;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;

/** A verified, content-addressed image and where it came from. */
@Entity
@Table(name = "artifact")
public class ArtifactEntity extends PanacheEntityBase {

    @Id
    public UUID id;
    @Column(name = "build_id")
    public UUID buildId;
    public String team;
    @Column(name = "spec_name")
    public String specName;
    @Column(name = "spec_version")
    public int specVersion;
    @Column(name = "spec_digest")
    public String specDigest;
    @Column(name = "target_cloud")
    public String targetCloud;
    public String format;
    public String sha256;
    @Column(name = "size_bytes")
    public long size;
    public String bucket;
    @Column(name = "object_key")
    public String objectKey;
    @Column(name = "staged_key")
    public String stagedKey;
    public String builder;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;

    public static Uni<ArtifactEntity> findByBuild(UUID buildId) {
        return find("buildId", buildId).firstResult();
    }

    public String uri() {
        return "s3://" + bucket + "/" + objectKey;
    }
}
